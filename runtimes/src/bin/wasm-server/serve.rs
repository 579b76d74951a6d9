//! `wasm-server serve APP.wasm | --manifest apps.toml [OPTIONS]`

use anyhow::{Context, Result};
use clap::Args;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Instant;
use wasm_server::cache::ModuleCache;
use wasm_server::kv::{redb, StoreConfig};
use wasm_server::manifest::Manifest;
use wasm_server::options::RuntimeOptions;
use wasm_server::server::{AppSpec, ServeConfig, Server};
use wasm_server::units::HumanDuration;

/// Serve wasi:http/proxy components over HTTP/1.1.
///
/// Either one component (every path and host goes to it) or the apps of a manifest (routes by
/// path prefix and host, key-value stores, per-app limits; format in runtimes/README.md).
/// The runtime options below apply to the one component, or are the defaults of every app of a
/// manifest. GET /metrics answers Prometheus metrics. SIGINT or SIGTERM stop accepting
/// connections and let in-flight requests finish.
#[derive(Args)]
pub struct Opts {
    /// The component to serve (or use --manifest).
    #[arg(required_unless_present = "manifest", conflicts_with = "manifest")]
    app: Option<PathBuf>,

    /// Serve the apps of this manifest.
    #[arg(long, value_name = "FILE")]
    manifest: Option<PathBuf>,

    /// Address to listen on; port 0 picks a free port (the bound address is printed).
    /// Default: the manifest's [server] listen, else 127.0.0.1:8080.
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,

    #[command(flatten)]
    options: RuntimeOptions,

    /// Instances of all apps that may run at once (default: the manifest's, else 1000).
    #[arg(long, value_name = "N")]
    max_instances: Option<u32>,

    /// Without a manifest: folder of the embedded key-value stores named by --kv
    /// (`NAME.redb` each).
    #[arg(long, value_name = "DIR", default_value = ".wasm-server/kv")]
    data_dir: PathBuf,

    /// Folder of precompiled code (default: ~/.cache/wasm-server).
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,

    /// Compile every time; neither read nor write the cache.
    #[arg(long)]
    no_cache: bool,

    /// After SIGINT/SIGTERM, how long in-flight requests may take to finish.
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    shutdown_grace: HumanDuration,

    /// Check the configuration and load every app, print what would be served, and exit
    /// without listening.
    #[arg(long)]
    check: bool,
}

impl Opts {
    fn config(&self) -> Result<ServeConfig> {
        let cache_dir = if self.no_cache { None } else { self.cache_dir.clone().or_else(ModuleCache::default_dir) };
        let shutdown_grace = self.shutdown_grace.0;
        if let Some(path) = &self.manifest {
            let m = Manifest::load(path)?;
            let apps = m
                .apps
                .iter()
                .map(|a| AppSpec {
                    name: a.name.clone(),
                    component: a.component.clone(),
                    options: a.options.or(&self.options),
                    base: m.base.clone(),
                })
                .collect();
            return Ok(ServeConfig {
                listen: self.listen.or(m.server.listen).unwrap_or(([127, 0, 0, 1], 8080).into()),
                apps,
                stores: m.stores.clone(),
                store_base: m.base.clone(),
                max_instances: self.max_instances.or(m.server.max_instances).unwrap_or(1000),
                cache_dir,
                shutdown_grace,
            });
        }
        let app = self.app.clone().expect("clap requires APP without --manifest");
        let name = app
            .file_stem()
            .map(|s| {
                s.to_string_lossy()
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
                    .collect()
            })
            .unwrap_or_else(|| "app".to_string());
        let stores: BTreeMap<String, StoreConfig> = self
            .options
            .kv
            .iter()
            .map(|s| (s.clone(), StoreConfig::Redb(redb::Config { path: Path::new(s).with_extension("redb") })))
            .collect();
        Ok(ServeConfig {
            listen: self.listen.unwrap_or(([127, 0, 0, 1], 8080).into()),
            apps: vec![AppSpec { name, component: app, options: self.options.clone(), base: PathBuf::from(".") }],
            stores,
            store_base: self.data_dir.clone(),
            max_instances: self.max_instances.unwrap_or(1000),
            cache_dir,
            shutdown_grace,
        })
    }

    pub fn run(self) -> Result<()> {
        let config = self.config()?;
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        runtime.block_on(async {
            let start = Instant::now();
            let n = config.apps.len();
            if self.check {
                print!("{}", describe(&config));
            }
            let (server, stats) = Server::bind(config.clone()).await?;
            tracing::info!(
                apps = n,
                compiled = stats.compiled,
                from_cache = stats.from_disk,
                shared = stats.shared,
                ms = start.elapsed().as_millis() as u64,
                "apps loaded"
            );
            if self.check {
                println!("ok: {n} app(s) loaded");
                return Ok(());
            }
            // Tests and scripts read this line to find the port.
            eprintln!("Serving HTTP on http://{}/", server.local_addr());
            server.serve(shutdown_signal()).await.context("serving")
        })
    }
}

/// What `--check` prints: apps (in name order) with their routes, limits and stores.
fn describe(config: &ServeConfig) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for a in &config.apps {
        let o = &a.options;
        let routes: Vec<String> =
            o.route_keys().iter().map(|(h, p)| if h.is_empty() { p.clone() } else { format!("{h}{p}") }).collect();
        let _ = writeln!(s, "app {}: {}", a.name, a.component.file_name().unwrap_or_default().to_string_lossy());
        let _ = writeln!(s, "  routes: {}", routes.join(", "));
        let _ = writeln!(
            s,
            "  limits: max-memory {}, timeout {}, cpu-limit {}, max-concurrency {}, max-body {}",
            wasm_server::units::ByteSize(o.max_memory_bytes()),
            o.timeout.map_or("60s".into(), |t| t.to_string()),
            o.cpu_limit.map_or("none".into(), |t| t.to_string()),
            o.max_concurrency(),
            wasm_server::units::ByteSize(o.max_body_bytes()),
        );
        if !o.env.is_empty() {
            let _ = writeln!(s, "  env: {}", o.env.iter().map(|e| e.key.as_str()).collect::<Vec<_>>().join(", "));
        }
        if !o.dir.is_empty() {
            let _ = writeln!(s, "  dirs: {}", o.dir.iter().map(|d| d.guest.as_str()).collect::<Vec<_>>().join(", "));
        }
        let _ = writeln!(
            s,
            "  outbound: {}",
            if o.allow_outbound.is_empty() { "none".into() } else { o.allow_outbound.join(", ") }
        );
        if !o.kv.is_empty() {
            let _ = writeln!(s, "  kv: {}", o.kv.join(", "));
        }
    }
    for (name, store) in &config.stores {
        let kind = match store {
            StoreConfig::Redb(_) => "redb",
            StoreConfig::Redis(_) => "redis",
        };
        let _ = writeln!(s, "store {name}: {kind}");
    }
    s
}

async fn shutdown_signal() {
    let mut term =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("install a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received"),
        _ = term.recv() => tracing::info!("SIGTERM received"),
    }
}
