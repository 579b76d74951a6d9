//! Runtime options of one app, declared once: the same struct is the flags of `wasm-server run`
//! and `wasm-server serve` (clap, flattened into both) and the `[apps.NAME]` table of a manifest
//! (serde). Every field is optional so that a manifest's app can fall back on the flags given to
//! `serve --manifest` ([`RuntimeOptions::or`]) and both fall back on [`Defaults`].

use crate::units::{ByteSize, DirMapping, EnvVar, HumanDuration};
use clap::Args;
use serde::Deserialize;
use std::path::PathBuf;

/// `Host` header value without port, lower case.
pub fn normalize_host(h: &str) -> String {
    let h = h.trim();
    let name = if h.starts_with('[') {
        // An IPv6 literal: `[::1]:8080`.
        h.find(']').map_or(h, |i| &h[..=i])
    } else {
        match h.rsplit_once(':') {
            Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
            _ => h,
        }
    };
    name.to_ascii_lowercase()
}

/// A route prefix without its trailing `/` (the root stays `/`).
pub fn normalize_route(r: &str) -> String {
    let t = r.trim_end_matches('/');
    if t.is_empty() {
        "/".into()
    } else {
        t.into()
    }
}

/// Built-in values for options left unset.
pub struct Defaults;

impl Defaults {
    /// Linear memory a `serve` instance may grow to, summed over its memories.
    pub const MAX_MEMORY: u64 = 256 << 20;
    /// Linear memory a `run` program may grow to: everything a 32-bit memory addresses, as
    /// `wasmtime run` allows (a command is one process, not one of many requests).
    pub const RUN_MAX_MEMORY: u64 = 4 << 30;
    /// Largest request body `serve` accepts.
    pub const MAX_BODY: u64 = 16 << 20;
    /// Instances of one app running at once.
    pub const MAX_CONCURRENCY: usize = 100;
    /// How long an idle instance waits for its next request (as `wasmtime serve`).
    pub const IDLE_INSTANCE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);
}

/// What a guest may see and use, and how much of the machine it may take.
#[derive(Debug, Clone, Default, Args, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuntimeOptions {
    /// Manifest only: the app's `.wasm` component, relative to the manifest's folder (on the
    /// command line the component is the positional argument).
    #[arg(skip)]
    #[serde(default)]
    pub component: Option<PathBuf>,

    /// Manifest only: path prefixes the app serves; `/api` serves `/api` and `/api/...` but not
    /// `/apis`. Default `/` (every path).
    #[arg(skip)]
    #[serde(default)]
    pub routes: Vec<String>,

    /// Manifest only: `Host` names the app serves (port ignored); default every host. Routes
    /// of an app with hosts match only requests for those hosts, and win over host-less ones.
    #[arg(skip)]
    #[serde(default)]
    pub hosts: Vec<String>,

    /// Environment variable for the guest, `KEY=VALUE` (repeatable).
    #[arg(long = "env", value_name = "KEY=VALUE")]
    #[serde(default)]
    pub env: Vec<EnvVar>,

    /// Preopened host folder, `HOST[::GUEST]`; the guest sees it at GUEST (default: the same
    /// path). Repeatable. A relative HOST is relative to the current folder (to the manifest's
    /// folder in a manifest).
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    #[serde(default)]
    pub dir: Vec<DirMapping>,

    /// Largest linear memory of one instance (all its memories together), e.g. `64M`, `1G`.
    /// Growing past it traps with "memory limit exceeded". Default 256M for `serve`, 4G (all a
    /// 32-bit memory addresses) for `run`.
    #[arg(long, value_name = "SIZE")]
    pub max_memory: Option<ByteSize>,

    /// Wall-clock limit: of the whole program for `run`, of one request for `serve`
    /// (e.g. `500ms`, `5s`, `2m`). Unlimited when unset.
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<HumanDuration>,

    /// CPU time the guest may spend running wasm code (counted in 10 ms epochs, so waiting on
    /// I/O does not count): of the whole program for `run`, of one request for `serve`.
    /// Unlimited when unset.
    #[arg(long, value_name = "DURATION")]
    pub cpu_limit: Option<HumanDuration>,

    /// `serve`: instances of this app running at once; further requests wait for a free
    /// instance until their timeout. Default 100.
    #[arg(long, value_name = "N")]
    pub max_concurrency: Option<usize>,

    /// `serve`: requests one instance may serve, one after another, before it is dropped (the
    /// flag `wasmtime serve` has too). Default 1: every request gets a fresh instance. More
    /// than 1 skips the guest's start-up on most requests, but what a request leaves in the
    /// instance's memory (globals, caches, a leaked goroutine) is seen by the next requests
    /// sent to it; a request that traps, times out or hits a limit still drops its instance.
    #[arg(long, value_name = "N")]
    pub max_instance_reuse_count: Option<u32>,

    /// `serve`: how long an idle instance is kept for reuse (with `max-instance-reuse-count`
    /// above 1). Idle instances do not count against `max-concurrency`; at most that many are
    /// kept per app, and `max-instances` over all apps. Default 1s.
    #[arg(long, value_name = "DURATION")]
    pub idle_instance_timeout: Option<HumanDuration>,

    /// `serve`: largest request body; larger requests get 413. Default 16M.
    #[arg(long, value_name = "SIZE")]
    pub max_body: Option<ByteSize>,

    /// Host the guest may send `wasi:http` requests to: `HOST[:PORT]`, `*.DOMAIN`, or
    /// `scheme://HOST[:PORT]`; `*` allows every host. Repeatable. Nothing is allowed by default.
    #[arg(long = "allow-outbound", value_name = "HOST")]
    #[serde(default)]
    pub allow_outbound: Vec<String>,

    /// Key-value store the guest may open by this name with `wasi:keyvalue/store.open`
    /// (stores are declared in the manifest's `[stores.NAME]`; without a manifest, `NAME` is
    /// an embedded store in the cache folder). Repeatable.
    #[arg(long = "kv", value_name = "NAME")]
    #[serde(default)]
    pub kv: Vec<String>,
}

impl RuntimeOptions {
    /// These options with every unset field taken from `fallback` (lists are joined:
    /// fallback first).
    pub fn or(&self, fallback: &RuntimeOptions) -> RuntimeOptions {
        fn join<T: Clone>(a: &[T], b: &[T]) -> Vec<T> {
            b.iter().chain(a).cloned().collect()
        }
        RuntimeOptions {
            component: self.component.clone(),
            routes: self.routes.clone(),
            hosts: self.hosts.clone(),
            env: join(&self.env, &fallback.env),
            dir: join(&self.dir, &fallback.dir),
            max_memory: self.max_memory.or(fallback.max_memory),
            timeout: self.timeout.or(fallback.timeout),
            cpu_limit: self.cpu_limit.or(fallback.cpu_limit),
            max_concurrency: self.max_concurrency.or(fallback.max_concurrency),
            max_instance_reuse_count: self.max_instance_reuse_count.or(fallback.max_instance_reuse_count),
            idle_instance_timeout: self.idle_instance_timeout.or(fallback.idle_instance_timeout),
            max_body: self.max_body.or(fallback.max_body),
            allow_outbound: join(&self.allow_outbound, &fallback.allow_outbound),
            kv: join(&self.kv, &fallback.kv),
        }
    }

    /// The `(host, path prefix)` pairs this app claims (`""`: any host), normalised: lower-case
    /// host without port, prefix without a trailing `/`, `/` for the root.
    pub fn route_keys(&self) -> Vec<(String, String)> {
        let hosts: Vec<String> = if self.hosts.is_empty() {
            vec![String::new()]
        } else {
            self.hosts.iter().map(|h| normalize_host(h)).collect()
        };
        let routes: Vec<String> = if self.routes.is_empty() {
            vec!["/".into()]
        } else {
            self.routes.iter().map(|r| normalize_route(r)).collect()
        };
        hosts.iter().flat_map(|h| routes.iter().map(move |r| (h.clone(), r.clone()))).collect()
    }

    /// The memory limit of a `serve` instance.
    pub fn max_memory_bytes(&self) -> u64 {
        self.max_memory.map_or(Defaults::MAX_MEMORY, |m| m.0)
    }

    /// The memory limit of a `run` program.
    pub fn run_max_memory_bytes(&self) -> u64 {
        self.max_memory.map_or(Defaults::RUN_MAX_MEMORY, |m| m.0)
    }

    pub fn max_body_bytes(&self) -> u64 {
        self.max_body.map_or(Defaults::MAX_BODY, |m| m.0)
    }

    pub fn max_concurrency(&self) -> usize {
        self.max_concurrency.unwrap_or(Defaults::MAX_CONCURRENCY).max(1)
    }

    /// Requests per instance (1: a fresh instance per request).
    pub fn max_instance_reuse_count(&self) -> u32 {
        self.max_instance_reuse_count.unwrap_or(1).max(1)
    }

    pub fn idle_instance_timeout(&self) -> std::time::Duration {
        self.idle_instance_timeout.map_or(Defaults::IDLE_INSTANCE_TIMEOUT, |t| t.0)
    }

    /// Checks values that parse but make no sense (zero limits), before anything starts.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_memory.is_some_and(|m| m.0 < 64 << 10) {
            return Err("max-memory must be at least 64K (one wasm page)".into());
        }
        if self.max_concurrency == Some(0) {
            return Err("max-concurrency must be at least 1".into());
        }
        if self.max_instance_reuse_count == Some(0) {
            return Err("max-instance-reuse-count must be at least 1".into());
        }
        if self.timeout.is_some_and(|t| t.0.is_zero()) {
            return Err("timeout must be more than 0".into());
        }
        if self.cpu_limit.is_some_and(|t| t.0.is_zero()) {
            return Err("cpu-limit must be more than 0".into());
        }
        for host in &self.allow_outbound {
            crate::outbound::HostPattern::parse(host)?;
        }
        Ok(())
    }
}
