//! Instances kept between requests, for apps with `max-instance-reuse-count` above 1.
//!
//! A request that ended cleanly (the guest's `handle` returned, within the timeout and the
//! limits) gives its store and instance back; the next request of the app takes the most
//! recently used one instead of instantiating, which skips the guest's start-up (for a Go
//! handler, the Go runtime's initialisation and `main` up to `Serve`). An instance is dropped
//! after it has served its count of requests, after it has been idle for
//! `idle-instance-timeout`, or when a request in it fails in any way.
//!
//! Idle instances hold no concurrency permit (a request never waits behind an idle instance),
//! so they are bounded separately: at most `max-concurrency` per app and `max-instances` over
//! all apps; the pooling allocator is sized for the running plus the idle ones.

use super::log_stream::LogStream;
use crate::host::Host;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wasmtime::component::types::{ComponentItem, Type};
use wasmtime::component::{Component, ComponentExportIndex, TypedFunc};
use wasmtime::Store;
use wasmtime_wasi_http::p2::bindings::Proxy;

/// The export a guest may add to say whether an instance can take another request. The
/// contract is wit/deps/wasm-server-instance.wit (which rewritten guests are built against);
/// a test holds these names and `func() -> bool` to it.
pub const REUSE_INTERFACE: &str = "wasm-server:instance/reuse@0.1.0";
pub const REUSE_FUNC: &str = "reusable";

/// Where the component exports `reusable`, if it does; an export of the wrong type is an
/// error (found when the app loads, not on its first request).
pub fn probe_index(component: &Component) -> Result<Option<ComponentExportIndex>, String> {
    let Some(iface) = component.get_export_index(None, REUSE_INTERFACE) else { return Ok(None) };
    let Some((item, index)) = component.get_export(Some(&iface), REUSE_FUNC) else { return Ok(None) };
    let ok = match &item {
        ComponentItem::ComponentFunc(f) => {
            f.params().len() == 0 && f.results().map(|t| matches!(t, Type::Bool)).eq([true])
        }
        _ => false,
    };
    if ok {
        Ok(Some(index))
    } else {
        Err(format!("its export {REUSE_INTERFACE}#{REUSE_FUNC} is not `func() -> bool`"))
    }
}

/// The guest's `reusable` in one instance.
pub type ReuseProbe = TypedFunc<(), (bool,)>;

/// A store whose instance has served at least one request.
pub struct Warm {
    pub store: Store<Host>,
    pub proxy: Proxy,
    /// The guest's own say on reuse, when it exports `wasm-server:instance/reuse`.
    pub probe: Option<ReuseProbe>,
    /// Requests it has served.
    pub served: u32,
    /// Its standard streams (re-labelled for each request).
    pub stdout: LogStream,
    pub stderr: LogStream,
    idle_since: Instant,
}

impl Warm {
    /// `served`: the requests it served before the one that just ended.
    pub fn new(
        store: Store<Host>,
        proxy: Proxy,
        probe: Option<ReuseProbe>,
        stdout: LogStream,
        stderr: LogStream,
        served: u32,
    ) -> Warm {
        Warm { store, proxy, probe, served, stdout, stderr, idle_since: Instant::now() }
    }

    /// Whether the guest agrees to another request (yes when it does not say; no when asking
    /// fails).
    pub async fn guest_agrees(&mut self) -> bool {
        match &self.probe {
            None => true,
            Some(f) => matches!(f.call_async(&mut self.store, ()).await, Ok((true,))),
        }
    }
}

/// Idle instances of one app.
pub struct IdlePool {
    idle: Mutex<Vec<Warm>>,
    max_uses: u32,
    timeout: Duration,
    /// Per-app bound on idle instances.
    max_idle: usize,
    /// Idle instances of all apps, and their bound.
    all_idle: Arc<AtomicUsize>,
    max_all_idle: usize,
}

impl IdlePool {
    pub fn new(
        max_uses: u32,
        timeout: Duration,
        max_idle: usize,
        all_idle: Arc<AtomicUsize>,
        max_all_idle: usize,
    ) -> IdlePool {
        IdlePool { idle: Mutex::new(Vec::new()), max_uses, timeout, max_idle, all_idle, max_all_idle }
    }

    pub fn idle_timeout(&self) -> Duration {
        self.timeout
    }

    /// The most recently used idle instance, unless it has expired. The list is in give-back
    /// order, so only its two ends are looked at: when the oldest has expired, the expired ones
    /// are dropped (outside the lock), and when the newest has, all have.
    pub fn take(&self) -> Option<Warm> {
        let (warm, any_expired) = {
            let mut idle = self.idle.lock().unwrap();
            let now = Instant::now();
            let any_expired = idle.first().is_some_and(|w| self.expired(w, now));
            let warm = if idle.last().is_some_and(|w| !self.expired(w, now)) { idle.pop() } else { None };
            (warm, any_expired)
        };
        if warm.is_some() {
            self.all_idle.fetch_sub(1, Ordering::Relaxed);
        }
        if any_expired {
            self.evict_expired();
        }
        warm
    }

    /// Gives back an instance that served a request cleanly; it is dropped instead when it
    /// has served its count or there is no room for it.
    pub fn give_back(&self, mut warm: Warm) {
        warm.served += 1;
        if warm.served >= self.max_uses {
            return;
        }
        let mut idle = self.idle.lock().unwrap();
        if idle.len() >= self.max_idle {
            return;
        }
        // Reserve a place in the bound over all apps (released on take or eviction).
        if self.all_idle.fetch_add(1, Ordering::Relaxed) >= self.max_all_idle {
            self.all_idle.fetch_sub(1, Ordering::Relaxed);
            return;
        }
        warm.idle_since = Instant::now();
        idle.push(warm);
    }

    /// Whether `w` has been idle for the timeout or longer at `now`.
    fn expired(&self, w: &Warm, now: Instant) -> bool {
        now.duration_since(w.idle_since) >= self.timeout
    }

    /// Drops the instances idle for longer than the timeout; returns how many.
    pub fn evict_expired(&self) -> usize {
        let expired = {
            let mut idle = self.idle.lock().unwrap();
            let now = Instant::now();
            // Oldest first: the vector is in give-back order.
            let keep_from = idle.iter().position(|w| !self.expired(w, now)).unwrap_or(idle.len());
            idle.drain(..keep_from).collect::<Vec<Warm>>()
        };
        let n = expired.len();
        // Stores are dropped outside the lock (freeing an instance is not free), and counted
        // out only once their allocator slots are back.
        drop(expired);
        self.all_idle.fetch_sub(n, Ordering::Relaxed);
        n
    }
}

#[cfg(test)]
mod tests {
    use super::{REUSE_FUNC, REUSE_INTERFACE};
    use wit_parser::{Resolve, Type};

    /// The names and the signature the host probes for are the WIT contract's.
    #[test]
    fn the_probe_is_the_wit_contract() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../wit/deps/wasm-server-instance.wit");
        let mut resolve = Resolve::default();
        let pkg = resolve.push_file(path).expect("the instance-reuse WIT parses");
        let (_, iface) = resolve.interfaces.iter().find(|(_, i)| i.package == Some(pkg)).expect("one interface");
        let name = resolve.packages[pkg].name.interface_id(iface.name.as_deref().expect("a named interface"));
        assert_eq!(name, REUSE_INTERFACE);
        let f = iface.functions.get(REUSE_FUNC).expect("the probe's function is in the WIT");
        assert!(f.params.is_empty());
        assert_eq!(f.result, Some(Type::Bool));
    }
}
