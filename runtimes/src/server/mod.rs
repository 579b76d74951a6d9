//! `wasm-server serve`: loads every app (compiling through the precompiled-module cache and
//! pre-instantiating once), opens the key-value stores, then binds and serves HTTP/1.1 until a
//! shutdown signal, after which in-flight requests are let finish.
//!
//! Everything that can be wrong with the configuration fails in [`Server::bind`], before the
//! socket is bound.

pub mod app;
pub mod log_stream;
pub mod metrics;
pub mod reuse;
pub mod router;

use crate::cache::{Compiled, ModuleCache, Origin};
use crate::engine::{self, Allocation, EpochTicker};
use crate::host::component_linker;
use crate::kv::host::KvCtx;
use crate::kv::{StoreConfig, Stores};
use crate::loader::WasmFile;
use crate::options::RuntimeOptions;
use crate::outbound::{HostPattern, OutboundPolicy};
use app::{text_response, App};
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use reuse::IdlePool;
use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use wasmtime::Engine;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

/// The path of the Prometheus metrics, answered by the server itself for every host.
pub const METRICS_PATH: &str = "/metrics";

/// One app to serve.
#[derive(Debug, Clone)]
pub struct AppSpec {
    pub name: String,
    pub component: PathBuf,
    /// Options after merging (manifest over flags).
    pub options: RuntimeOptions,
    /// Where relative `dir` entries are resolved.
    pub base: PathBuf,
}

/// Everything `serve` needs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub apps: Vec<AppSpec>,
    pub stores: BTreeMap<String, StoreConfig>,
    /// Where relative store paths are resolved.
    pub store_base: PathBuf,
    /// Instances of all apps at once (pooling allocator slots).
    pub max_instances: u32,
    pub cache_dir: Option<PathBuf>,
    /// How long in-flight requests may take to finish after a shutdown signal.
    pub shutdown_grace: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("app `{app}`: {message}")]
    App { app: String, message: String },
    #[error("key-value store `{store}` ({location}): {message}")]
    Store { store: String, location: String, message: String },
    #[error("cannot listen on {addr}: {error}")]
    Bind { addr: SocketAddr, error: std::io::Error },
    #[error("{0}")]
    Setup(String),
}

/// State shared by all connections.
struct Shared {
    apps: Vec<App>,
    router: router::Router,
    global: Arc<Semaphore>,
    next_id: AtomicU64,
    unrouted: metrics::AppMetrics,
}

/// A loaded, bound server; [`Server::serve`] runs it.
pub struct Server {
    shared: Arc<Shared>,
    listener: TcpListener,
    addr: SocketAddr,
    engine: Engine,
    shutdown_grace: Duration,
}

/// How each app was loaded (for start-up logs and the benchmarks).
#[derive(Debug, Default, Clone, Copy)]
pub struct LoadStats {
    pub compiled: usize,
    pub from_disk: usize,
    pub shared: usize,
}

impl Server {
    /// Loads everything and binds the listener; nothing is served until [`Server::serve`].
    pub async fn bind(config: ServeConfig) -> Result<(Server, LoadStats), ServeError> {
        if config.apps.is_empty() {
            return Err(ServeError::Setup("no apps to serve".into()));
        }
        let app_err = |app: &str, message: String| ServeError::App { app: app.into(), message };
        for a in &config.apps {
            a.options.validate().map_err(|m| app_err(&a.name, m))?;
        }
        let max_memory = config.apps.iter().map(|a| a.options.max_memory_bytes()).max().unwrap_or(0);
        // Apps that keep idle instances need slots for them too (at most max-instances idle).
        let max_instances = config.max_instances.max(1);
        let reuse = config.apps.iter().any(|a| a.options.max_instance_reuse_count() > 1);
        let slots = if reuse { max_instances.saturating_mul(2) } else { max_instances };
        let all_idle = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let engine = engine::build(Allocation::Pooling { instances: slots, max_memory })
            .map_err(|e| ServeError::Setup(format!("cannot create the engine: {e:#}")))?;
        let cache = ModuleCache::new(&engine, config.cache_dir.clone())
            .map_err(|e| ServeError::Setup(format!("cache folder: {e}")))?;
        let linker = component_linker(&engine).map_err(|e| ServeError::Setup(format!("{e:#}")))?;

        // Stores: only those some app lists are opened.
        let wanted: BTreeSet<&String> = config.apps.iter().flat_map(|a| a.options.kv.iter()).collect();
        let mut stores = Stores::new();
        for name in wanted {
            let Some(cfg) = config.stores.get(name) else {
                return Err(ServeError::Store {
                    store: name.clone(),
                    location: "-".into(),
                    message: "not declared".into(),
                });
            };
            let backend = cfg.open(name, &config.store_base).await.map_err(|e| ServeError::Store {
                store: name.clone(),
                location: cfg.location(&config.store_base),
                message: e.to_string(),
            })?;
            stores.insert(name.clone(), backend);
        }
        let all_stores: Arc<BTreeSet<String>> = Arc::new(config.stores.keys().cloned().collect());

        let mut stats = LoadStats::default();
        let mut apps = Vec::with_capacity(config.apps.len());
        for spec in &config.apps {
            let fail = |m: String| app_err(&spec.name, m);
            let file = WasmFile::read(&spec.component).map_err(|e| fail(e.to_string()))?;
            let (compiled, origin) = file.compile(&engine, &cache).map_err(|e| fail(e.to_string()))?;
            match origin {
                Origin::Compiled => stats.compiled += 1,
                Origin::Disk => stats.from_disk += 1,
                Origin::Memory => stats.shared += 1,
            }
            let Compiled::Component(component) = compiled else {
                return Err(fail(format!(
                    "{} is a core module; `serve` needs a wasi:http/proxy component (build for wasm32-wasip2, or run a command with `wasm-server run`)",
                    spec.component.display()
                )));
            };
            let reuse_probe = reuse::probe_index(&component).map_err(&fail)?;
            let pre = linker.instantiate_pre(&component).map_err(|e| {
                fail(format!("{} needs imports this host does not provide: {e:#}", spec.component.display()))
            })?;
            let pre = ProxyPre::new(pre).map_err(|e| {
                fail(format!(
                    "{} does not export wasi:http/incoming-handler (a command? run it with `wasm-server run`): {e:#}",
                    spec.component.display()
                ))
            })?;
            let allowed = spec
                .options
                .allow_outbound
                .iter()
                .map(|h| HostPattern::parse(h))
                .collect::<Result<Vec<_>, _>>()
                .map_err(&fail)?;
            let mut allowed_stores = Stores::new();
            for s in &spec.options.kv {
                let backend = stores.get(s).ok_or_else(|| fail(format!("no key-value store `{s}` is declared")))?;
                allowed_stores.insert(s.clone(), backend.clone());
            }
            let name: Arc<str> = spec.name.as_str().into();
            apps.push(App {
                name: name.clone(),
                pre,
                options: spec.options.clone(),
                base: spec.base.clone(),
                outbound: OutboundPolicy { app: name, allowed: allowed.into() },
                kv: KvCtx { allowed: Arc::new(allowed_stores), all: all_stores.clone() },
                instances: Arc::new(Semaphore::new(spec.options.max_concurrency())),
                idle: (spec.options.max_instance_reuse_count() > 1).then(|| {
                    Arc::new(IdlePool::new(
                        spec.options.max_instance_reuse_count(),
                        spec.options.idle_instance_timeout(),
                        spec.options.max_concurrency(),
                        all_idle.clone(),
                        max_instances as usize,
                    ))
                }),
                reuse_probe,
                metrics: Default::default(),
            });
        }
        let keys: Vec<_> = config.apps.iter().map(|a| a.options.route_keys()).collect();
        let router = router::Router::new(&keys);

        let listener = bind(config.listen).map_err(|error| ServeError::Bind { addr: config.listen, error })?;
        let addr = listener.local_addr().map_err(|error| ServeError::Bind { addr: config.listen, error })?;
        let shared = Arc::new(Shared {
            apps,
            router,
            global: Arc::new(Semaphore::new(config.max_instances.max(1) as usize)),
            next_id: AtomicU64::new(1),
            unrouted: Default::default(),
        });
        Ok((Server { shared, listener, addr, engine, shutdown_grace: config.shutdown_grace }, stats))
    }

    /// The bound address (the real port when asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown` resolves, then stops accepting, lets in-flight requests finish
    /// (up to the grace period) and returns.
    pub async fn serve(self, shutdown: impl std::future::Future<Output = ()>) -> Result<(), ServeError> {
        let _ticker = EpochTicker::start(&self.engine);
        let _reapers: Vec<_> = self.shared.apps.iter().filter_map(|a| a.idle.clone()).map(reaper).collect();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        // Each connection task holds a clone; `recv` returns `None` once all are gone.
        let (alive_tx, mut alive_rx) = tokio::sync::mpsc::channel::<()>(1);
        tokio::pin!(shutdown);
        loop {
            let (stream, _peer) = tokio::select! {
                _ = &mut shutdown => break,
                accepted = self.listener.accept() => match accepted {
                    Ok(s) => s,
                    Err(e) => {
                        // Out of file descriptors and the like: keep serving the others.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                },
            };
            let _ = stream.set_nodelay(true);
            let shared = self.shared.clone();
            let mut stop = stop_rx.clone();
            let alive = alive_tx.clone();
            tokio::spawn(async move {
                let _alive = alive;
                let service = hyper::service::service_fn(move |req| {
                    let shared = shared.clone();
                    // Boxed for the same reason as the request's task (see `App::handle`):
                    // hyper moves the service's future into place for every request.
                    Box::pin(async move { Ok::<_, Infallible>(dispatch(&shared, req).await) })
                });
                let conn = http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), service);
                tokio::pin!(conn);
                tokio::select! {
                    r = conn.as_mut() => {
                        if let Err(e) = r {
                            tracing::debug!(error = %e, "connection ended with an error");
                        }
                        return;
                    }
                    _ = stop.wait_for(|s| *s) => {}
                }
                // Shutting down: finish the request in flight, then close.
                conn.as_mut().graceful_shutdown();
                let _ = conn.await;
            });
        }
        drop(self.listener);
        drop(alive_tx);
        let live: i64 = self.shared.apps.iter().map(|a| a.metrics.live()).sum();
        tracing::info!(in_flight = live, "shutting down: no new connections; letting in-flight requests finish");
        let _ = stop_tx.send(true);
        if tokio::time::timeout(self.shutdown_grace, alive_rx.recv()).await.is_err() {
            tracing::warn!(grace = ?self.shutdown_grace, "requests still running after the grace period; stopping anyway");
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Drops an app's idle instances once they pass their idle timeout, so that their memory and
/// allocator slots go back even when no request of that app comes. Aborted when dropped.
fn reaper(pool: Arc<IdlePool>) -> AbortOnDrop {
    let period = (pool.idle_timeout() / 2).max(Duration::from_millis(10));
    AbortOnDrop(tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            pool.evict_expired();
        }
    }))
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

async fn dispatch(shared: &Shared, req: Request<Incoming>) -> Response<HyperOutgoingBody> {
    let start = Instant::now();
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    if path == METRICS_PATH && method == http::Method::GET {
        let apps = shared.apps.iter().map(|a| (&*a.name, &*a.metrics));
        let mut r = text_response(StatusCode::OK, None, metrics::render(apps));
        r.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        );
        return r;
    }
    let host = req
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.to_string()));
    let Some(index) = shared.router.route(host.as_deref(), &path) else {
        shared.unrouted.record(404, start.elapsed());
        tracing::info!(req = id, %method, path, host = host.as_deref().unwrap_or(""), status = 404, "no app serves this route");
        return text_response(
            StatusCode::NOT_FOUND,
            Some("route"),
            format!("404 Not Found: no app serves {path} on host {}\n", host.as_deref().unwrap_or("(none)")),
        );
    };
    let app = &shared.apps[index];
    let response = app.handle(id, req, &shared.global).await;
    let status = response.status().as_u16();
    app.metrics.record(status, start.elapsed());
    tracing::debug!(req = id, app = %app.name, %method, path, status, ms = start.elapsed().as_secs_f64() * 1e3, "request");
    response
}
