//! One served app: its pre-instantiated component, its limits and capabilities, and the
//! handling of one request in a fresh store and instance (or, when the app opts in, an
//! instance that served earlier requests cleanly: see `reuse`). Whatever the guest does (trap,
//! loop, grow its memory without end), the request ends with a response and the failed store
//! is dropped; nothing of it outlives the request.

use super::log_stream::{LogStream, Target};
use super::metrics::{AppMetrics, Failure};
use super::reuse::{IdlePool, ReuseProbe, Warm};
use crate::host::{wasi_builder, Host};
use crate::kv::host::KvCtx;
use crate::limits::{self, LimitExceeded};
use crate::options::RuntimeOptions;
use crate::outbound::OutboundPolicy;
use crate::units::HumanDuration;
use bytes::Bytes;
use http::{header, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::{timeout_at, Instant};
use wasmtime::component::ComponentExportIndex;
use wasmtime::Store;
use wasmtime_wasi_http::p2::bindings::http::types::{ErrorCode, Scheme};
use wasmtime_wasi_http::p2::bindings::{Proxy, ProxyPre};
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{Error as HttpError, WasiHttpView};

/// Request timeout of `serve` when an app sets none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

pub struct App {
    pub name: Arc<str>,
    pub pre: ProxyPre<Host>,
    pub options: RuntimeOptions,
    /// Folder that relative `dir` entries are resolved against.
    pub base: PathBuf,
    pub outbound: OutboundPolicy,
    pub kv: KvCtx,
    pub instances: Arc<Semaphore>,
    /// Idle instances kept for the next requests (`max-instance-reuse-count` above 1).
    pub idle: Option<Arc<IdlePool>>,
    /// Where the component exports `wasm-server:instance/reuse#reusable`, if it does.
    pub reuse_probe: Option<ComponentExportIndex>,
    pub metrics: Arc<AppMetrics>,
}

/// A short plain-text response from the host itself (errors, 404, metrics).
pub fn text_response(status: StatusCode, reason: Option<&'static str>, body: String) -> Response<HyperOutgoingBody> {
    let mut b = Response::builder().status(status).header(header::CONTENT_TYPE, "text/plain; charset=utf-8");
    if let Some(r) = reason {
        b = b.header("x-wasm-server-error", r);
    }
    b.body(Full::new(Bytes::from(body)).map_err(|never| match never {}).boxed_unsync())
        .expect("static response parts are valid")
}

/// A new instance in `store`, with the guest's reuse probe when `probe` says where it is.
async fn instantiate(
    pre: &ProxyPre<Host>,
    store: &mut Store<Host>,
    probe: Option<ComponentExportIndex>,
) -> wasmtime::Result<(Proxy, Option<ReuseProbe>)> {
    let instance = pre.instance_pre().instantiate_async(&mut *store).await?;
    let proxy = Proxy::new(&mut *store, &instance)?;
    let probe = match probe {
        Some(index) => Some(instance.get_typed_func::<(), (bool,)>(&mut *store, index)?),
        None => None,
    };
    Ok((proxy, probe))
}

fn failure(app: &App, id: u64, kind: Failure, status: StatusCode, message: String) -> Response<HyperOutgoingBody> {
    app.metrics.failure(kind);
    tracing::warn!(req = id, app = %app.name, reason = kind.label(), "{message}");
    text_response(
        status,
        Some(kind.label()),
        format!("{} {}: {message}\n", status.as_u16(), status.canonical_reason().unwrap_or("")),
    )
}

fn body_error(e: Box<dyn std::error::Error + Send + Sync>, max: u64) -> HttpError {
    if e.is::<http_body_util::LengthLimitError>() {
        return HttpError::HttpRequestBodySize(Some(max));
    }
    match e.downcast::<hyper::Error>() {
        Ok(h) => HttpError::from(*h),
        Err(e) => HttpError::InternalError(Some(e.to_string())),
    }
}

impl App {
    fn timeout(&self) -> Duration {
        self.options.timeout.map_or(DEFAULT_TIMEOUT, |t| t.0)
    }

    /// Handles one request; `global` bounds the instances of all apps (the pool's size).
    pub async fn handle(
        &self,
        id: u64,
        req: Request<Incoming>,
        global: &Arc<Semaphore>,
    ) -> Response<HyperOutgoingBody> {
        let timeout = self.timeout();
        let deadline = Instant::now() + timeout;
        let max_body = self.options.max_body_bytes();
        let declared =
            req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > max_body) {
            return text_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                Some("body"),
                format!(
                    "413 Payload Too Large: the body is larger than this app's max-body ({})\n",
                    crate::units::ByteSize(max_body)
                ),
            );
        }

        // A free instance of this app, then of the server: at once when there is one (no timer
        // to set up), else waited for within the request's time.
        let free = self
            .instances
            .clone()
            .try_acquire_owned()
            .ok()
            .and_then(|app| Some((app, global.clone().try_acquire_owned().ok()?)));
        let permits = match free {
            Some((app, all)) => Ok((Ok(app), Ok(all))),
            None => {
                timeout_at(deadline, async {
                    let app = self.instances.clone().acquire_owned().await;
                    let all = global.clone().acquire_owned().await;
                    (app, all)
                })
                .await
            }
        };
        let Ok((Ok(app_permit), Ok(global_permit))) = permits else {
            return failure(
                self,
                id,
                Failure::Busy,
                StatusCode::SERVICE_UNAVAILABLE,
                format!("no free instance within the timeout ({} at once)", self.options.max_concurrency()),
            );
        };

        // A warm instance if the app reuses them, else a fresh store (instantiated in the task).
        let warm = self.idle.as_ref().and_then(|pool| pool.take());
        let (mut store, reused, stdout, stderr, served) = match warm {
            Some(w) => {
                w.stdout.set_request(id);
                w.stderr.set_request(id);
                (w.store, Some((w.proxy, w.probe)), w.stdout, w.stderr, w.served)
            }
            None => {
                let stdout = LogStream::new(Target::Stdout, self.name.clone(), id);
                let stderr = LogStream::new(Target::Stderr, self.name.clone(), id);
                let wasi = match wasi_builder(&self.options, &self.base) {
                    Ok(mut b) => b.stdout(stdout.clone()).stderr(stderr.clone()).build(),
                    Err(e) => return failure(self, id, Failure::Trap, StatusCode::INTERNAL_SERVER_ERROR, e),
                };
                let store = Store::new(
                    self.pre.engine(),
                    Host::new(wasi, self.outbound.clone(), self.kv.clone(), self.options.max_memory_bytes()),
                );
                (store, None, stdout, stderr, 0)
            }
        };
        // Per request, also on a reused store: the CPU budget starts again.
        limits::apply(&mut store, self.options.cpu_limit.map(|d| d.0));
        tracing::trace!(req = id, app = %self.name, reused = reused.is_some(), served, "instance");

        let req = req.map(|body| Limited::new(body, max_body as usize).map_err(move |e| body_error(e, max_body)));
        let (tx, mut rx) = tokio::sync::oneshot::channel();
        let setup = (|| -> wasmtime::Result<_> {
            let mut http = store.data_mut().http();
            let req = http.new_incoming_request(Scheme::Http, req)?;
            let out = http.new_response_outparam(tx)?;
            Ok((req, out))
        })();
        let (req, out) = match setup {
            Ok(v) => v,
            Err(e) => {
                return text_response(StatusCode::BAD_REQUEST, Some("request"), format!("400 Bad Request: {e}\n"));
            }
        };

        let live = self.metrics.live_instance();
        let pre = self.pre.clone();
        let pool = self.idle.clone();
        let probe_index = self.reuse_probe;
        let metrics = self.metrics.clone();
        let logs = [stdout.clone(), stderr.clone()];
        // Boxed: the task's future (the store, the guest call's state) is kilobytes, which
        // spawning would otherwise copy several times per request.
        let mut task = tokio::spawn(Box::pin(timeout_at(deadline, async move {
            let _permits = (app_permit, global_permit, live);
            let was_reused = reused.is_some();
            let result = async {
                let (proxy, probe) = match reused {
                    Some(r) => r,
                    None => {
                        let start = std::time::Instant::now();
                        let r = instantiate(&pre, &mut store, probe_index.filter(|_| pool.is_some())).await;
                        metrics.instantiated(start.elapsed());
                        r?
                    }
                };
                let start = std::time::Instant::now();
                proxy.wasi_http_incoming_handler().call_handle(&mut store, req, out).await?;
                metrics.handled(was_reused, start.elapsed());
                Ok::<_, wasmtime::Error>((proxy, probe))
            }
            .await;
            stdout.finish();
            stderr.finish();
            let (proxy, probe) = result?;
            // Only an instance whose request ended cleanly, and whose guest agrees, is used
            // again.
            if let Some(pool) = pool {
                let mut warm = Warm::new(store, proxy, probe, stdout, stderr, served);
                if warm.guest_agrees().await {
                    pool.give_back(warm);
                }
            }
            Ok::<_, wasmtime::Error>(())
        })));

        // Until the answer's head is here, a client that goes away (hyper then drops this
        // future) stops the guest: nobody can read what it would answer, so its instance is
        // dropped and its permits released at once instead of at the timeout. Once the head is
        // sent, the task runs on to stream the body; a client gone then makes the guest's
        // writes fail.
        //
        // One timer per request, the task's: the answer comes while the task runs, and the task
        // ends by the deadline (every store yields at each epoch tick, `limits::apply`, so its
        // `timeout_at` fires even in a guest that never calls the host), dropping the store that
        // holds the response's sender. Only when the task ends first (the guest returned, or was
        // stopped, without answering) is the answer waited for, up to the deadline: a guest may
        // keep the response's handle in an instance kept for reuse.
        let abandon = Abandon {
            task: Some(task.abort_handle()),
            metrics: self.metrics.clone(),
            id,
            app: self.name.clone(),
            logs,
        };
        let outcome = tokio::select! {
            biased;
            answer = &mut rx => match answer {
                Ok(answer) => Outcome::Answer(answer),
                // The guest ended (or was ended) without sending a response.
                Err(_) => Outcome::Ended(task.await),
            },
            ended = &mut task => match timeout_at(deadline, rx).await {
                Ok(Ok(answer)) => Outcome::Answer(answer),
                Ok(Err(_)) => Outcome::Ended(ended),
                Err(_elapsed) => Outcome::TimedOut,
            },
        };
        let response = match outcome {
            Outcome::Answer(Ok(response)) => response,
            Outcome::Answer(Err(code)) => self.guest_error_code(id, code),
            // Why it ended without an answer.
            Outcome::Ended(Ok(Ok(Ok(())))) => failure(
                self,
                id,
                Failure::NoResponse,
                StatusCode::INTERNAL_SERVER_ERROR,
                "the guest returned without sending a response".into(),
            ),
            Outcome::Ended(Ok(Ok(Err(e)))) => self.guest_failed(id, e),
            Outcome::Ended(Ok(Err(_))) | Outcome::TimedOut => self.timed_out(id, timeout),
            Outcome::Ended(Err(join)) => failure(
                self,
                id,
                Failure::Trap,
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the request task failed: {join}"),
            ),
        };
        abandon.disarm();
        response
    }

    fn timed_out(&self, id: u64, timeout: Duration) -> Response<HyperOutgoingBody> {
        failure(
            self,
            id,
            Failure::Timeout,
            StatusCode::GATEWAY_TIMEOUT,
            format!("the request timed out after {}", HumanDuration(timeout)),
        )
    }

    fn guest_error_code(&self, id: u64, code: ErrorCode) -> Response<HyperOutgoingBody> {
        match code {
            ErrorCode::HttpRequestBodySize(_) => text_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                Some("body"),
                format!(
                    "413 Payload Too Large: the body is larger than this app's max-body ({})\n",
                    crate::units::ByteSize(self.options.max_body_bytes())
                ),
            ),
            code => failure(
                self,
                id,
                Failure::NoResponse,
                StatusCode::BAD_GATEWAY,
                format!("the guest answered with an error: {code:?}"),
            ),
        }
    }

    fn guest_failed(&self, id: u64, e: wasmtime::Error) -> Response<HyperOutgoingBody> {
        tracing::debug!(req = id, app = %self.name, error = ?e, "guest failed");
        if let Some(limit) = LimitExceeded::find(&e) {
            let kind = match limit {
                LimitExceeded::Memory { .. } => Failure::Memory,
                LimitExceeded::Cpu(_) => Failure::Cpu,
            };
            return failure(self, id, kind, StatusCode::SERVICE_UNAVAILABLE, limit.to_string());
        }
        if e.downcast_ref::<wasmtime::Trap>().is_some() {
            let trap = crate::command::trap_message(&e);
            return failure(
                self,
                id,
                Failure::Trap,
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the guest trapped: {trap}"),
            );
        }
        let message = format!("{e:#}");
        if message.contains("maximum concurrent") || message.contains("pooling allocator") {
            return failure(
                self,
                id,
                Failure::Busy,
                StatusCode::SERVICE_UNAVAILABLE,
                format!("no instance slot free: {message}"),
            );
        }
        failure(self, id, Failure::Trap, StatusCode::INTERNAL_SERVER_ERROR, format!("the guest failed: {message}"))
    }
}

/// How a request's wait for its answer ended.
enum Outcome {
    /// The guest answered: a response, or an error code.
    Answer(Result<Response<HyperOutgoingBody>, ErrorCode>),
    /// The request's task ended without an answer: how it ended.
    Ended(Result<Result<wasmtime::Result<()>, tokio::time::error::Elapsed>, tokio::task::JoinError>),
    /// The guest returned without answering and still held the response's handle at the
    /// deadline.
    TimedOut,
}

/// Aborts a request's guest task when dropped armed: the request future was dropped before the
/// answer was ready, i.e. the client went away.
struct Abandon {
    task: Option<tokio::task::AbortHandle>,
    metrics: Arc<AppMetrics>,
    id: u64,
    app: Arc<str>,
    /// The guest's stdout and stderr: their unterminated last lines are written out.
    logs: [LogStream; 2],
}

impl Abandon {
    fn disarm(mut self) {
        self.task = None;
    }
}

impl Drop for Abandon {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            if !task.is_finished() {
                task.abort();
                self.logs.iter().for_each(LogStream::finish);
                self.metrics.abandoned();
                tracing::info!(req = self.id, app = %self.app, "the client went away before the answer: guest stopped");
            }
        }
    }
}
