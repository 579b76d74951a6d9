//! A bounded HTTP/1.1 load generator on loopback: a fixed number of keep-alive connections,
//! each sending GET requests back to back for a fixed time; every latency is recorded, so the
//! percentiles are exact. Written here (rather than using `wrk`) so that it needs no install,
//! stops by itself after a bounded time and request count, and reports p50/p99 from all
//! samples instead of wrk's estimates.

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// What one load run measured.
#[derive(Debug, Clone)]
pub struct LoadResult {
    pub requests: usize,
    pub errors: usize,
    pub requests_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// Hard cap on requests per run, whatever the duration.
const MAX_REQUESTS: usize = 2_000_000;

async fn connection(addr: SocketAddr, path: String, until: Instant, cap: usize) -> Result<(Vec<Duration>, usize)> {
    let stream = tokio::net::TcpStream::connect(addr).await.context("connect")?;
    stream.set_nodelay(true)?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let mut latencies = Vec::with_capacity(16 * 1024);
    let mut errors = 0;
    while Instant::now() < until && latencies.len() + errors < cap {
        let req = http::Request::get(path.as_str()).header("host", addr.to_string()).body(Empty::<Bytes>::new())?;
        let start = Instant::now();
        match sender.send_request(req).await {
            Ok(resp) => {
                let ok = resp.status().is_success();
                let body = resp.into_body().collect().await;
                if ok && body.is_ok() {
                    latencies.push(start.elapsed());
                } else {
                    errors += 1;
                }
            }
            Err(_) => {
                errors += 1;
                break;
            }
        }
    }
    Ok((latencies, errors))
}

/// `concurrency` connections to `addr` requesting `path` for `duration`.
pub fn run(addr: SocketAddr, path: &str, concurrency: usize, duration: Duration) -> Result<LoadResult> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    rt.block_on(async {
        let start = Instant::now();
        let until = start + duration;
        let cap = MAX_REQUESTS / concurrency.max(1);
        let tasks: Vec<_> =
            (0..concurrency).map(|_| tokio::spawn(connection(addr, path.to_string(), until, cap))).collect();
        let mut all = Vec::new();
        let mut errors = 0;
        for t in tasks {
            let (l, e) = t.await??;
            all.extend(l);
            errors += e;
        }
        let elapsed = start.elapsed().as_secs_f64();
        if all.is_empty() {
            bail!("no successful request to http://{addr}{path} ({errors} errors)");
        }
        all.sort();
        let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)].as_secs_f64() * 1e3;
        Ok(LoadResult {
            requests: all.len(),
            errors,
            requests_per_s: all.len() as f64 / elapsed,
            p50_ms: pct(0.50),
            p99_ms: pct(0.99),
        })
    })
}

/// One GET; `Ok(true)` on a 2xx answer.
pub fn probe(addr: SocketAddr, path: &str) -> bool {
    let Ok(mut s) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else { return false };
    use std::io::{Read, Write};
    let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
    if write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    matches!(s.read(&mut buf), Ok(n) if n >= 12 && buf[9] == b'2')
}

/// The body of one GET (for `/metrics`).
pub fn get_text(addr: SocketAddr, path: &str) -> Result<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")?;
    let mut text = String::new();
    s.read_to_string(&mut text)?;
    match text.split_once("\r\n\r\n") {
        Some((_, body)) => Ok(body.to_string()),
        None => bail!("no HTTP response from http://{addr}{path}"),
    }
}
