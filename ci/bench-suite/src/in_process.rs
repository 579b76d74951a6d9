//! A wasi:http component's cost per request without a network: its `handle` called in a loop
//! in one reused instance (wasm-server's engine and host, as with instance reuse), each
//! response read to its end; the thread's CPU time per request. What `gojs-http` measures over
//! loopback mixes this with hyper, tokio and the kernel, whose share does not change when the
//! guest does, on a 2-core machine whose load generator shares the CPU; this is the part the
//! guest and the wasi:http calls it makes are responsible for, and it varies much less from
//! run to run (`ci/bench --handle-loop FILE PATH` prints it alone).
//!
//! A loop keeps the guest's code and data in the core's L2 cache from one request to the next,
//! which a server does not: between two requests, hyper, the kernel's TCP path and the load
//! generator run on the same cores, and a rewritten Go request alone runs through most of a
//! megabyte of compiled code (Go's wasm compiles large). With [`Caches::Evicted`], each request
//! starts after [`EVICT_BYTES`] of other memory has been written (only the requests are timed):
//! the same code then takes about three times as long, as it does in a server at saturation
//! (`ci/bench --handle-loop FILE PATH --evict`).

use anyhow::{ensure, Context, Result};
use http_body_util::BodyExt;
use std::path::Path;
use wasm_server::engine::{self, Allocation};
use wasm_server::host::{component_linker, Host};
use wasmtime::component::Component;
use wasmtime::{Engine, Store};
use wasmtime_wasi_http::p2::bindings::http::types::{ErrorCode, Scheme};
use wasmtime_wasi_http::p2::bindings::{Proxy, ProxyPre};
use wasmtime_wasi_http::WasiHttpView;

/// Requests per timed loop (after as many untimed ones).
const CALLS: u32 = 5_000;

/// What is written between two requests with [`Caches::Evicted`]: twice this machine's
/// per-core L2 (2 MiB), well within its L3.
pub const EVICT_BYTES: usize = 4 << 20;

/// Whether requests follow each other with the caches as the last one left them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caches {
    Warm,
    Evicted,
}

/// CPU microseconds per request of GET `path` in each of `runs` timed loops, for each of
/// `modes` in turn (one compilation and one instance for all of them).
pub fn per_request_us(component: &Path, path: &str, runs: usize, modes: &[Caches]) -> Result<Vec<Vec<f64>>> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let engine = engine::build(Allocation::OnDemand)?;
        let component = Component::from_file(&engine, component)
            .map_err(|e| anyhow::anyhow!("loading {}: {e:#}", component.display()))?;
        let (mut store, proxy) = instance(&engine, &component).await?;
        let url = format!("http://localhost{path}");
        // Reading the thread's CPU clock costs something: taken off the per-request times.
        let clock_cost = clock_pair_seconds();
        let mut all = Vec::new();
        for &caches in modes {
            let mut samples = Vec::new();
            for run in 0..=runs.max(1) {
                let seconds = timed_loop(&mut store, &proxy, &url, caches, clock_cost).await?;
                // The first loop warms up (Go's heap, lazily compiled trampolines).
                if run > 0 {
                    samples.push(seconds * 1e6 / f64::from(CALLS));
                }
            }
            all.push(samples);
        }
        Ok(all)
    })
}

/// CPU seconds of [`CALLS`] GETs of `url` (with `Caches::Evicted`, the requests' alone).
async fn timed_loop(store: &mut Store<Host>, proxy: &Proxy, url: &str, caches: Caches, clock_cost: f64) -> Result<f64> {
    Ok(match caches {
        Caches::Warm => {
            let started = thread_cpu_seconds();
            for _ in 0..CALLS {
                get(store, proxy, url).await?;
            }
            thread_cpu_seconds() - started
        }
        Caches::Evicted => {
            let mut other = vec![0u8; EVICT_BYTES];
            let mut seconds = 0.0;
            for i in 0..CALLS {
                // One write per cache line evicts what the request before left behind.
                for b in other.iter_mut().step_by(64) {
                    *b = b.wrapping_add(i as u8);
                }
                std::hint::black_box(&other);
                let started = thread_cpu_seconds();
                get(store, proxy, url).await?;
                seconds += thread_cpu_seconds() - started - clock_cost;
            }
            seconds
        }
    })
}

/// One instance of `component` in a store of its own, with wasm-server's host.
pub async fn instance(engine: &Engine, component: &Component) -> Result<(Store<Host>, Proxy)> {
    let pre = ProxyPre::new(component_linker(engine)?.instantiate_pre(component)?)?;
    let mut store = Store::new(
        engine,
        Host::new(wasmtime_wasi::WasiCtxBuilder::new().build(), Default::default(), Default::default(), u64::MAX),
    );
    // Epoch interruption is on (as in wasm-server) and nothing advances the epoch here.
    store.set_epoch_deadline(1 << 40);
    let proxy = pre.instantiate_async(&mut store).await?;
    Ok((store, proxy))
}

/// One GET of `url` through the component's `handle`, its response read to the end; an error
/// unless it succeeded.
pub async fn get(store: &mut Store<Host>, proxy: &Proxy, url: &str) -> Result<()> {
    let body = http_body_util::Empty::<bytes::Bytes>::new()
        .map_err(|never: std::convert::Infallible| -> ErrorCode { match never {} });
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

/// What two readings of the thread's CPU clock cost, on average.
fn clock_pair_seconds() -> f64 {
    const N: u32 = 10_000;
    let started = thread_cpu_seconds();
    for _ in 0..N {
        std::hint::black_box(thread_cpu_seconds());
    }
    // N + 1 readings: the loop's and the closing one, about two per pair.
    2.0 * (thread_cpu_seconds() - started) / f64::from(N + 1)
}

/// CPU time of the calling thread (time the VM was not running it is not counted).
fn thread_cpu_seconds() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid timespec for the call to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}
