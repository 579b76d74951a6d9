//! Go HTTP handlers (conformance/guests/go/http, `/hello` and `/json`): the same program
//! unrewritten under node with shims/gojs/node/serve.mjs (the baseline), rewritten on stock
//! `wasmtime serve` and on `wasm-server serve`, and built natively (`GOOS=linux`, net/http,
//! through httpserve's native `Serve`) as the ceiling. Requests/s and p50/p99 at a fixed
//! concurrency from the bounded loopback load generator; RSS idle and at peak, and the peak's
//! growth per concurrent request (each WASI request is a live instance).

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
}

/// Median run (by requests/s) against a fresh server each; RSS of the median run's server.
fn measure(make: &dyn Fn() -> Result<Command>, path: &str, runs: usize) -> Result<Measured> {
    let mut results = Vec::new();
    for _ in 0..runs {
        let (p, _) = Proc::start(make()?, path)?;
        let idle_rss = p.rss_mib()?;
        load::run(p.addr, path, CONCURRENCY, Duration::from_millis(500))?;
        let load = load::run(p.addr, path, CONCURRENCY, LOAD_TIME)?;
        results.push(Measured { load, idle_rss, peak_rss: p.peak_rss_mib()? });
    }
    results.sort_by(|a, b| a.load.requests_per_s.total_cmp(&b.load.requests_per_s));
    Ok(results.swap_remove(results.len() / 2))
}

pub fn run(settings: &Settings) -> Result<Group> {
    let v = &settings.versions.go;
    let root = tools::repo_root();
    let guest = root.join("conformance/guests/go/http");
    let js = go_build(&guest, Goos::Js, v)?;
    let native = go_build(&guest, Goos::Linux, v)?;
    let out = tempdir("gojs-http")?;
    let component = out.join("http.wasi.wasm");
    let status = Command::new(tools::workspace_binary("wasm-server-bindgen")?).arg("rewrite").arg(&js).arg("-o").arg(&component).status()?;
    if !status.success() {
        bail!("rewriting {} failed", js.display());
    }
    let wasm_exec = tools::wasm_exec_node(v)?.with_file_name("wasm_exec.js");
    let wt_cache = tempdir("gojs-http-wasmtime-xdg")?;
    let ws_cache = tempdir("gojs-http-wasm-server-cache")?;
    let node = |wasm: &Path| -> Result<Command> {
        let mut c = Command::new(tools::node()?);
        c.arg(root.join("shims/gojs/node/serve.mjs")).arg(wasm).args(["--listen", "127.0.0.1:0", "--wasm-exec"]).arg(&wasm_exec);
        Ok(c)
    };
    let wasmtime = || -> Result<Command> {
        let mut c = Command::new(tools::wasmtime()?);
        c.args(["serve", "-S", "cli", "--addr", "127.0.0.1:0"]).arg(&component).env("XDG_CACHE_HOME", &wt_cache);
        Ok(c)
    };
    let wasm_server = || -> Result<Command> {
        let mut c = Command::new(tools::workspace_binary("wasm-server")?);
        c.args(["serve", "--listen", "127.0.0.1:0", "--cache-dir"]).arg(&ws_cache).arg(&component).env("RUST_LOG", "warn");
        Ok(c)
    };
    let native_cmd = || -> Result<Command> {
        let mut c = Command::new(&native);
        c.env("LISTEN", "127.0.0.1:0");
        Ok(c)
    };
    let runs = settings.runs.clamp(1, 3);
    let mut group = Group::new("gojs-http", "node + serve.mjs, /hello");
    let hosts: [(&str, &dyn Fn() -> Result<Command>); 4] = [
        ("node + serve.mjs", &|| node(&js)),
        ("wasmtime serve (rewritten)", &wasmtime),
        ("wasm-server serve (rewritten)", &wasm_server),
        ("native Go (GOOS=linux)", &native_cmd),
    ];
    for path in ["/hello", "/json"] {
        for (name, make) in hosts.iter() {
            let m = measure(*make, path, runs)?;
            let per_instance = (m.peak_rss - m.idle_rss).max(0.0) / CONCURRENCY as f64;
            group.push(
                &format!("{name}, {path}"),
                &[
                    ("requests_per_s", m.load.requests_per_s),
                    ("p50_ms", m.load.p50_ms),
                    ("p99_ms", m.load.p99_ms),
                    ("idle_rss_mib", m.idle_rss),
                    ("peak_rss_mib", m.peak_rss),
                    ("rss_per_concurrent_request_mib", per_instance),
                ],
                format!("{} requests, {} errors, {CONCURRENCY} connections, {LOAD_TIME:?}", m.load.requests, m.load.errors),
            );
        }
    }
    group.baseline = "node + serve.mjs, /hello".into();
    group.compute_ratios();
    for path in ["/hello", "/json"] {
        let rps = |host: &str| group.metric(&format!("{host}, {path}"), "requests_per_s").unwrap_or(0.0);
        let (node, ws, wt, native) = (rps("node + serve.mjs"), rps("wasm-server serve (rewritten)"), rps("wasmtime serve (rewritten)"), rps("native Go (GOOS=linux)"));
        group.goal(
            format!("{path}: rewritten on wasm-server at least 2x node's requests/s"),
            ws >= 2.0 * node,
            format!("{ws:.0} vs {node:.0} req/s ({:.2}x); wasmtime serve {wt:.0}", ws / node),
        );
        group.goal(
            format!("{path}: rewritten on wasm-server within 3x of native Go"),
            native <= 3.0 * ws,
            format!("native {native:.0} req/s = {:.1}x wasm-server", native / ws),
        );
    }
    Ok(group)
}
