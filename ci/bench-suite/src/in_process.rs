//! A wasi:http component's cost per request without a network: its `handle` called in a loop
//! in one reused instance (wasm-server's engine and host, as with instance reuse), each
//! response read to its end; the thread's CPU time per request. What `gojs-http` measures over
//! loopback mixes this with hyper, tokio and the kernel, whose share does not change when the
//! guest does, on a 2-core machine whose load generator shares the CPU; this is the part the
//! guest and the wasi:http calls it makes are responsible for, and it varies much less from
//! run to run (`ci/bench --handle-loop FILE PATH` prints it alone).

use anyhow::{ensure, Context, Result};
use http_body_util::BodyExt;
use std::path::Path;
use wasm_server::engine::{self, Allocation};
use wasm_server::host::{component_linker, Host};
use wasmtime::component::Component;
use wasmtime::Store;
use wasmtime_wasi_http::p2::bindings::http::types::{ErrorCode, Scheme};
use wasmtime_wasi_http::p2::bindings::{Proxy, ProxyPre};
use wasmtime_wasi_http::WasiHttpView;

/// Requests per timed loop (after as many untimed ones).
const CALLS: u32 = 5_000;

/// CPU microseconds per request of GET `path` in each of `runs` timed loops.
pub fn per_request_us(component: &Path, path: &str, runs: usize) -> Result<Vec<f64>> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let engine = engine::build(Allocation::OnDemand)?;
        let component = Component::from_file(&engine, component).map_err(|e| anyhow::anyhow!("loading {}: {e:#}", component.display()))?;
        let pre = ProxyPre::new(component_linker(&engine)?.instantiate_pre(&component)?)?;
        let mut store = Store::new(&engine, Host::new(wasmtime_wasi::WasiCtxBuilder::new().build(), Default::default(), Default::default(), u64::MAX));
        // Epoch interruption is on (as in wasm-server) and nothing advances the epoch here.
        store.set_epoch_deadline(1 << 40);
        let proxy = pre.instantiate_async(&mut store).await?;
        let url = format!("http://localhost{path}");
        let mut samples = Vec::new();
        for run in 0..=runs.max(1) {
            let started = thread_cpu_seconds();
            for _ in 0..CALLS {
                get(&mut store, &proxy, &url).await?;
            }
            // The first loop warms up (Go's heap and caches, lazily compiled trampolines).
            if run > 0 {
                samples.push((thread_cpu_seconds() - started) * 1e6 / f64::from(CALLS));
            }
        }
        Ok(samples)
    })
}

/// One GET of `url` through the component's `handle`, its response read to the end; an error
/// unless it succeeded.
pub async fn get(store: &mut Store<Host>, proxy: &Proxy, url: &str) -> Result<()> {
    let body = http_body_util::Empty::<bytes::Bytes>::new().map_err(|never: std::convert::Infallible| -> ErrorCode { match never {} });
    let request = hyper::Request::get(url).header("host", "localhost").body(body)?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (request, outparam) = {
        let mut http = store.data_mut().http();
        (http.new_incoming_request(Scheme::Http, request)?, http.new_response_outparam(tx)?)
    };
    proxy.wasi_http_incoming_handler().call_handle(&mut *store, request, outparam).await?;
    let response = rx.await.context("no response")??;
    ensure!(response.status().is_success(), "GET {url} got {}", response.status());
    response.into_body().collect().await.map_err(|e| anyhow::anyhow!("reading the response to GET {url}: {e:?}"))?;
    Ok(())
}

/// CPU time of the calling thread (time the VM was not running it is not counted).
fn thread_cpu_seconds() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid timespec for the call to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}
