//! Go HTTP handlers (conformance/guests/go/http, `/hello` and `/json`): the same program
//! unrewritten under node with shims/gojs/node/serve.mjs (the baseline), rewritten on stock
//! `wasmtime serve` and on `wasm-server serve`, and built natively (`GOOS=linux`, net/http,
//! through httpserve's native `Serve`) as the ceiling. Both WASI hosts run twice: a fresh
//! instance per request (their default) and instances reused for up to 1000 requests
//! (`--max-instance-reuse-count`, the same flag on both). Requests/s and p50/p99 at a fixed
//! concurrency from the bounded loopback load generator; RSS idle and at peak, and the peak's
//! growth per concurrent request; for wasm-server also its own split of a request's time
//! (instantiation, the handler in a fresh and in a reused instance) from `/metrics`. The runs
//! go round by round, every row once per round, and the goals' ratios are taken within a round
//! (the median over the rounds): this machine's speed drifts by a third from one minute to the
//! next, which a ratio of medians taken minutes apart would carry into the goal. One more
//! wasm-server row serves a fresh instance per request restored from a snapshot taken after
//! start-up (crate::preinit): pre-initialisation, measured against reuse. The guest is built with
//! the newest Go, so the rewritten rows serve these GET requests through httpserve's direct path
//! (no syscall/js); node serves them through the Workers contract.
//!
//! Three more rows, on `/hello` only, bound what a rewritten Go handler can reach on a WASI host
//! and so say where the gap to native Go lies: the host's ceiling, the Rust hello component
//! (`runtimes/tests/guests/hello`) with reused instances on wasm-server and on wasmtime serve;
//! and the floor of the Workers contract through Go's syscall/js, a Go GOOS=js program whose
//! handleRequest returns a ready Response without net/http (`guests/gojs-floor`), rewritten and
//! reused on wasm-server. And one more figure: Go's own work for the same two handlers when Go
//! is entered directly, without syscall/js (crate::go_direct), the guest's part of the budget.
//! And, without a network, the CPU time per request of the rewritten handler and of the Rust
//! hello component called in-process in a reused instance (crate::in_process): the guest's
//! share, free of hyper, the kernel and the load generator, which vary from run to run on a
//! shared 2-core machine far more than the guest does. And the same requests counted in
//! instructions under callgrind (crate::instructions), split by whose code ran them: the
//! 3x goal's detail says what share of a request no glue work can remove.

use super::server::{tempdir, Proc, CONCURRENCY, LOAD_TIME};
use crate::load;
use crate::report::Group;
use crate::Settings;
use anyhow::{bail, Result};
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use testkit::guests::{go_build, Goos};
use testkit::tools;

struct Measured {
    load: load::LoadResult,
    idle_rss: f64,
    peak_rss: f64,
    /// wasm-server's own accounting of where a request's time goes (from `/metrics`).
    split: Option<TimeSplit>,
}

/// Mean times per request inside wasm-server, in milliseconds.
#[derive(Clone, Copy)]
struct TimeSplit {
    instantiate_ms: f64,
    fresh_call_ms: f64,
    reused_call_ms: f64,
}

/// Sum of a metric's samples whose labels contain `labels`.
fn metric(text: &str, name: &str, labels: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with('{') && l.contains(labels))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn time_split(text: &str) -> TimeSplit {
    let mean = |secs: f64, n: f64| if n > 0.0 { secs * 1e3 / n } else { f64::NAN };
    TimeSplit {
        instantiate_ms: mean(
            metric(text, "wasm_server_instantiation_seconds_total", ""),
            metric(text, "wasm_server_instantiations_total", ""),
        ),
        fresh_call_ms: mean(
            metric(text, "wasm_server_guest_call_seconds_total", "instance=\"fresh\""),
            metric(text, "wasm_server_guest_calls_total", "instance=\"fresh\""),
        ),
        reused_call_ms: mean(
            metric(text, "wasm_server_guest_call_seconds_total", "instance=\"reused\""),
            metric(text, "wasm_server_guest_calls_total", "instance=\"reused\""),
        ),
    }
}

/// One load run against a fresh server. `scrape`: the server is wasm-server, whose `/metrics`
/// splits the time.
fn measure_once(make: &dyn Fn() -> Result<Command>, path: &str, scrape: bool) -> Result<Measured> {
    let (p, _) = Proc::start(make()?, path)?;
    let idle_rss = p.rss_mib()?;
    load::run(p.addr, path, CONCURRENCY, Duration::from_millis(500))?;
    let load = load::run(p.addr, path, CONCURRENCY, LOAD_TIME)?;
    let split = if scrape { Some(time_split(&load::get_text(p.addr, "/metrics")?)) } else { None };
    Ok(Measured { load, idle_rss, peak_rss: p.peak_rss_mib()?, split })
}

/// The run with the median requests/s (RSS and split of that run).
fn median_run(mut runs: Vec<Measured>) -> Measured {
    runs.sort_by(|a, b| a.load.requests_per_s.total_cmp(&b.load.requests_per_s));
    runs.swap_remove(runs.len() / 2)
}

/// `a`'s requests/s over `b`'s, taken within each round and then the median over the rounds,
/// with the least and the most: the machine's speed drifts between rounds (by a third on the
/// benchmark machine), and a ratio of two runs taken side by side cancels most of that drift,
/// where a ratio of two medians taken minutes apart does not.
fn paired_ratio(a: &[f64], b: &[f64]) -> (f64, f64, f64) {
    let mut ratios: Vec<f64> = a.iter().zip(b).map(|(a, b)| a / b).collect();
    let least = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let most = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (crate::measure::median(&mut ratios), least, most)
}

/// A measured host: its name, how to start it, whether it is wasm-server (metrics to scrape).
type HostRow<'a> = (&'a str, &'a dyn Fn() -> Result<Command>, bool);

/// Requests per instance in the reuse runs (`--max-instance-reuse-count`, both hosts).
const REUSE: u32 = 1000;
/// The row of the goals' ratios, each taken within a round.
const PAIRED: &str = "requests/s ratios, paired by round";
const WASMTIME_REUSE: &str = "wasmtime serve (rewritten, reuse 1000)";
const WASM_SERVER_REUSE: &str = "wasm-server serve (rewritten, reuse 1000)";
const WASM_SERVER_PREINIT: &str = "wasm-server serve (rewritten, pre-initialised)";
const NATIVE: &str = "native Go (GOOS=linux)";
const CEILING_WASM_SERVER: &str = "ceiling: Rust hello component on wasm-server (reuse 1000)";
const CEILING_WASMTIME: &str = "ceiling: Rust hello component on wasmtime serve (reuse 1000)";
const GO_DIRECT: &str = "Go's own work, entered directly (no syscall/js)";
const FLOOR: &str = "floor: Go syscall/js without net/http, rewritten, on wasm-server (reuse 1000)";
const IN_PROCESS: &str = "in-process, no network: rewritten Go handler";
const IN_PROCESS_HELLO: &str = "in-process, no network: Rust hello component";
const INSTRUCTIONS: &str = "instructions, no network: rewritten Go handler";
const INSTRUCTIONS_HELLO: &str = "instructions, no network: Rust hello component";
const CPU_WARM: &str = "cpu_us_per_request";
const CPU_EVICTED: &str = "cpu_us_per_request_caches_evicted";

pub fn run(settings: &Settings) -> Result<Group> {
    let v = &settings.versions.go;
    let root = tools::repo_root();
    let guest = root.join("conformance/guests/go/http");
    let js = go_build(&guest, Goos::Js, v)?;
    let native = go_build(&guest, Goos::Linux, v)?;
    let out = tempdir("gojs-http")?;
    let component = out.join("http.wasi.wasm");
    rewrite(&js, &component)?;
    // The pre-initialised variant: the same component restored, for every request, from a
    // snapshot taken after start-up (see crate::preinit).
    let snapshot = out.join("http.preinit.wasm");
    let started = std::time::Instant::now();
    let report = crate::preinit::snapshot(&component, "/hello", &snapshot)?;
    eprintln!(
        "  pre-initialised snapshot: {} core modules, {:.1} MiB of memory, {:.1}s",
        report.modules,
        report.memory_bytes as f64 / (1 << 20) as f64,
        started.elapsed().as_secs_f64()
    );
    let floor_js = go_build(&root.join("ci/bench-suite/guests/gojs-floor"), Goos::Js, v)?;
    let floor = out.join("floor.wasi.wasm");
    rewrite(&floor_js, &floor)?;
    let hello = testkit::guests::cargo_wasm("hello", "wasm32-wasip2")?;
    let wasm_exec = tools::wasm_exec_node(v)?.with_file_name("wasm_exec.js");
    let wt_cache = tempdir("gojs-http-wasmtime-xdg")?;
    let ws_cache = tempdir("gojs-http-wasm-server-cache")?;
    let node = |wasm: &Path| -> Result<Command> {
        let mut c = Command::new(tools::node()?);
        c.arg(root.join("shims/gojs/node/serve.mjs"))
            .arg(wasm)
            .args(["--listen", "127.0.0.1:0", "--wasm-exec"])
            .arg(&wasm_exec);
        Ok(c)
    };
    // `reuse`: requests per instance (1: a fresh instance per request, both hosts' default).
    let wasmtime_of = |component: &Path, reuse: u32| -> Result<Command> {
        let mut c = Command::new(tools::wasmtime()?);
        c.args(["serve", "-S", "cli", "--addr", "127.0.0.1:0", "--max-instance-reuse-count", &reuse.to_string()])
            .arg(component)
            .env("XDG_CACHE_HOME", &wt_cache);
        Ok(c)
    };
    let wasmtime = |reuse: u32| wasmtime_of(&component, reuse);
    let wasm_server_of = |component: &Path, reuse: u32| -> Result<Command> {
        let mut c = Command::new(tools::workspace_binary("wasm-server")?);
        c.args(["serve", "--listen", "127.0.0.1:0", "--max-instance-reuse-count", &reuse.to_string(), "--cache-dir"])
            .arg(&ws_cache)
            .arg(component)
            .env("RUST_LOG", "warn");
        Ok(c)
    };
    let wasm_server = |reuse: u32| wasm_server_of(&component, reuse);
    let native_cmd = || -> Result<Command> {
        let mut c = Command::new(&native);
        c.env("LISTEN", "127.0.0.1:0");
        Ok(c)
    };
    let runs = settings.runs.clamp(1, 3);
    let direct = crate::go_direct::measure(v, settings.runs.clamp(1, 5))?;
    let mut group = Group::new("gojs-http", "node + serve.mjs, /hello");
    let hosts: [HostRow<'_>; 7] = [
        ("node + serve.mjs", &|| node(&js), false),
        ("wasmtime serve (rewritten)", &|| wasmtime(1), false),
        (WASMTIME_REUSE, &|| wasmtime(REUSE), false),
        ("wasm-server serve (rewritten)", &|| wasm_server(1), true),
        (WASM_SERVER_PREINIT, &|| wasm_server_of(&snapshot, 1), true),
        (WASM_SERVER_REUSE, &|| wasm_server(REUSE), true),
        (NATIVE, &native_cmd, false),
    ];
    let bounds: [HostRow<'_>; 3] = [
        (CEILING_WASM_SERVER, &|| wasm_server_of(&hello, REUSE), true),
        (CEILING_WASMTIME, &|| wasmtime_of(&hello, REUSE), false),
        (FLOOR, &|| wasm_server_of(&floor, REUSE), true),
    ];
    // Requests/s of every round, by row name, for the paired ratios of the goals.
    let mut rounds: std::collections::HashMap<String, Vec<f64>> = Default::default();
    for path in ["/hello", "/json"] {
        let rows: Vec<&HostRow<'_>> = hosts.iter().chain(if path == "/hello" { &bounds[..] } else { &[] }).collect();
        // Round by round, every row once per round, so that a slow stretch of the machine
        // falls on all rows alike instead of on the runs of one.
        let mut runs_of: Vec<Vec<Measured>> = rows.iter().map(|_| Vec::new()).collect();
        for _ in 0..runs {
            for ((_, make, scrape), runs) in rows.iter().zip(&mut runs_of) {
                runs.push(measure_once(*make, path, *scrape)?);
            }
        }
        for ((name, _, _), runs) in rows.iter().zip(runs_of) {
            rounds.insert(format!("{name}, {path}"), runs.iter().map(|m| m.load.requests_per_s).collect());
            let m = median_run(runs);
            let per_instance = (m.peak_rss - m.idle_rss).max(0.0) / CONCURRENCY as f64;
            let mut metrics = vec![
                ("requests_per_s", m.load.requests_per_s),
                ("p50_ms", m.load.p50_ms),
                ("p99_ms", m.load.p99_ms),
                ("idle_rss_mib", m.idle_rss),
                ("peak_rss_mib", m.peak_rss),
                ("rss_per_concurrent_request_mib", per_instance),
            ];
            // Where a request's time goes inside wasm-server: creating the instance, and the
            // guest's handler in a fresh instance (Go's start-up included) or a reused one.
            if let Some(t) = m.split {
                for (k, v) in [
                    ("instantiate_ms", t.instantiate_ms),
                    ("fresh_call_ms", t.fresh_call_ms),
                    ("reused_call_ms", t.reused_call_ms),
                ] {
                    if v.is_finite() {
                        metrics.push((k, v));
                    }
                }
            }
            group.push(
                &format!("{name}, {path}"),
                &metrics,
                format!(
                    "{} requests, {} errors, {CONCURRENCY} connections, {LOAD_TIME:?}",
                    m.load.requests, m.load.errors
                ),
            );
        }
    }
    // The guest's own share, in-process: median CPU time per request over the timed loops, with
    // the caches as the request before left them and with them evicted before each request (as
    // a server's network stack and load generator do).
    let in_process = |component: &Path, path: &str| -> Result<[(&'static str, f64); 2]> {
        use crate::in_process::{per_request_us, Caches};
        let mut loops = per_request_us(component, path, settings.runs.clamp(3, 7), &[Caches::Warm, Caches::Evicted])?;
        let [warm, evicted] = &mut loops[..] else { unreachable!("one list of loops per mode") };
        Ok([(CPU_WARM, crate::measure::median(warm)), (CPU_EVICTED, crate::measure::median(evicted))])
    };
    for path in ["/hello", "/json"] {
        group.push(
            &format!("{IN_PROCESS}, {path}"),
            &in_process(&component, path)?,
            "wasm-server's engine and host, one reused instance, handle called in a loop, response read; evicted: 4 MiB written before each request",
        );
    }
    group.push(
        &format!("{IN_PROCESS_HELLO}, /hello"),
        &in_process(&hello, "/hello")?,
        "the same, for the host's ceiling",
    );
    // The same requests counted in instructions (crate::instructions): the same in every run,
    // and split by whose code ran them.
    let counted = "callgrind, one warm request of a reused instance, code compiled for a baseline CPU";
    let paths = ["/hello", "/json"];
    for (path, split) in paths.iter().zip(crate::instructions::per_request(&component, &paths)?) {
        group.push(&format!("{INSTRUCTIONS}, {path}"), &split.metrics(), counted);
    }
    group.push(
        &format!("{INSTRUCTIONS_HELLO}, /hello"),
        &crate::instructions::per_request(&hello, &["/hello"])?[0].metrics(),
        counted,
    );
    for (path, us) in [("/hello", direct.hello_us), ("/json", direct.json_us)] {
        group.push(
            &format!("{GO_DIRECT}, {path}"),
            &[("guest_us_per_request", us), ("go_entry_us", direct.noop_us)],
            "GOOS=wasip1 reactor on wasmtime, exports called in a loop: mux, handler, goroutine hand-off",
        );
    }
    group.baseline = "node + serve.mjs, /hello".into();
    group.compute_ratios();
    for path in ["/hello", "/json"] {
        let rps = |host: &str| group.metric(&format!("{host}, {path}"), "requests_per_s").unwrap_or(0.0);
        let (node, ws, wt, native) =
            (rps("node + serve.mjs"), rps(WASM_SERVER_REUSE), rps(WASMTIME_REUSE), rps(NATIVE));
        let (ws_fresh, wt_fresh, ws_pre) =
            (rps("wasm-server serve (rewritten)"), rps("wasmtime serve (rewritten)"), rps(WASM_SERVER_PREINIT));
        let of_rounds = |host: &str| rounds[&format!("{host}, {path}")].as_slice();
        let (over_node, over_node_least, over_node_most) =
            paired_ratio(of_rounds(WASM_SERVER_REUSE), of_rounds("node + serve.mjs"));
        let (native_over, native_over_least, native_over_most) =
            paired_ratio(of_rounds(NATIVE), of_rounds(WASM_SERVER_REUSE));
        group.push(
            &format!("{PAIRED}, {path}"),
            &[("wasm_server_over_node", over_node), ("native_over_wasm_server", native_over)],
            format!("median over {runs} rounds of the two runs' ratio within a round (every row runs once per round)"),
        );
        group.goal(
            format!("{path}: rewritten on wasm-server (reused instances) at least 2x node's requests/s"),
            over_node.is_finite() && over_node >= 2.0,
            format!(
                "{over_node:.2}x (rounds {over_node_least:.2}x to {over_node_most:.2}x); medians {ws:.0} vs {node:.0} req/s; wasmtime serve reuse {wt:.0}; fresh instance per request: wasm-server {ws_fresh:.0}, wasmtime {wt_fresh:.0}; pre-initialised, fresh per request: wasm-server {ws_pre:.0}",
            ),
        );
        // Where the gap lies, as time per request at saturation (1 / req/s): the budget 3x of
        // native allows, what the host alone takes of it (the bounds are measured on /hello),
        // and what is left to the guest, against Go's own work entered directly and what the
        // rewritten guest takes (GET requests: httpserve's direct path, no syscall/js; the
        // floor row: the least any handler takes through syscall/js).
        let bounds = {
            let hello_rps = |host: &str| group.metric(&format!("{host}, /hello"), "requests_per_s").unwrap_or(f64::NAN);
            let (ceiling, ceiling_wt, floor) =
                (hello_rps(CEILING_WASM_SERVER), hello_rps(CEILING_WASMTIME), hello_rps(FLOOR));
            let us = |rps: f64| 1e6 / rps;
            let go_work = group.metric(&format!("{GO_DIRECT}, {path}"), "guest_us_per_request").unwrap_or(f64::NAN);
            let cpu = |row: &str, metric: &str| group.metric(row, metric).unwrap_or(f64::NAN);
            let (go_row, hello_row) = (format!("{IN_PROCESS}, {path}"), format!("{IN_PROCESS_HELLO}, /hello"));
            let (go_cpu, hello_cpu) = (cpu(&go_row, CPU_WARM), cpu(&hello_row, CPU_WARM));
            let (go_cold, hello_cold) = (cpu(&go_row, CPU_EVICTED), cpu(&hello_row, CPU_EVICTED));
            // Instructions: Go's own code and httpserve are what remains of the request with no
            // other glue at all, beside the least a request through the host costs (the Rust
            // hello's whole request).
            let (go_ins, hello_ins) = (format!("{INSTRUCTIONS}, {path}"), format!("{INSTRUCTIONS_HELLO}, /hello"));
            use crate::instructions::{GO_CODE, HTTPSERVE, TOTAL};
            let (ins_total, ins_go, ins_httpserve) =
                (cpu(&go_ins, TOTAL), cpu(&go_ins, GO_CODE), cpu(&go_ins, HTTPSERVE));
            let ins_floor = cpu(&hello_ins, TOTAL);
            format!(
                "; per request at saturation: 3x native allows {:.0} us, the host alone takes {:.0} us (Rust hello component, reused: \
                 {ceiling:.0} req/s on wasm-server, {ceiling_wt:.0} on wasmtime serve), leaving {:.0} us to the guest; \
                 Go's own work entered directly is {go_work:.1} us, the rewritten guest takes {:.0} us (httpserve's direct path); \
                 through syscall/js even a handler that only returns a ready Response takes {:.0} us ({floor:.0} req/s); \
                 in-process, without a network, the rewritten handler takes {go_cpu:.1} us of CPU per request and the Rust hello component {hello_cpu:.1} us, \
                 and {go_cold:.1} us and {hello_cold:.1} us when other memory has evicted the caches before each request, as it is in a server; \
                 a rewritten request runs {ins_total:.0} instructions, of which Go's compiled code runs {ins_go:.0} and httpserve {ins_httpserve:.0}; \
                 the Rust hello's whole request runs {ins_floor:.0}: with no other glue at all, the request would still run {:.0}% of its instructions",
                3.0 * us(native),
                us(ceiling),
                3.0 * us(native) - us(ceiling),
                us(ws) - us(ceiling),
                us(floor) - us(ceiling),
                100.0 * (ins_go + ins_httpserve + ins_floor) / ins_total,
            )
        };
        group.goal(
            format!("{path}: rewritten on wasm-server (reused instances) within 3x of native Go"),
            native_over.is_finite() && native_over <= 3.0,
            format!(
                "native = {native_over:.2}x wasm-server (rounds {native_over_least:.2}x to {native_over_most:.2}x); medians {native:.0} vs {ws:.0} req/s{bounds}"
            ),
        );
    }
    Ok(group)
}

fn rewrite(js: &Path, component: &Path) -> Result<()> {
    let status = Command::new(tools::workspace_binary("wasm-server-bindgen")?)
        .arg("rewrite")
        .arg(js)
        .arg("-o")
        .arg(component)
        .status()?;
    if !status.success() {
        bail!("rewriting {} failed", js.display());
    }
    Ok(())
}
