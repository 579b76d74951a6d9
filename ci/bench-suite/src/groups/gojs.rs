//! Go GOOS=js programs rewritten for WASI: how long the rewrite takes and how much it adds, and
//! how the rewritten program starts against the same program on node (wasm_exec_node.js) and
//! built GOOS=wasip1 (the baseline: Go's own WASI port on stock wasmtime).

use crate::measure::sample;
use crate::report::Group;
use crate::Settings;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use testkit::guests::{go_build, Goos};
use testkit::tools;

/// `rewrite` of `input` into `out`, as the user runs it.
fn rewrite_cmd(bindgen: &Path, input: &Path, out: &Path) -> Command {
    let mut c = Command::new(bindgen);
    c.arg("rewrite").arg(input).arg("-o").arg(out);
    c
}

fn size(p: &Path) -> Result<f64> {
    Ok(std::fs::metadata(p).with_context(|| p.display().to_string())?.len() as f64)
}

pub fn run(settings: &Settings) -> Result<Group> {
    let v = &settings.versions.go;
    let root = tools::repo_root();
    let bindgen = tools::workspace_binary("wasm-server-bindgen")?;
    let shim = tools::target_dir().join("wasm32-wasip2/release/gojs_shim.wasm");
    let shim_size = size(&shim)
        .context("the gojs shim: build it with cargo build --release -p gojs-shim --target wasm32-wasip2")?;
    let out_dir = tools::scratch_dir("bench-gojs");
    let mut group = Group::new("gojs", "wasmtime run, GOOS=wasip1 (cache warm)");

    // Rewrite time and size: the small program and a ≥ 10 MB one (net/http client).
    let mut rewritten_hello = PathBuf::new();
    for (name, dir) in [("hello", "samples/go/hello"), ("httpget (net/http)", "samples/go/httpget")] {
        let input = go_build(&root.join(dir), Goos::Js, v)?;
        let out = out_dir.join(format!("{}.wasi.wasm", dir.rsplit('/').next().unwrap()));
        let s = sample(|| rewrite_cmd(&bindgen, &input, &out), 1, settings.runs)?;
        let (in_size, out_size) = (size(&input)?, size(&out)?);
        let added = out_size - in_size;
        group.push(
            &format!("rewrite {name}"),
            &[
                ("rewrite_ms", s.wall_ms_median),
                ("rewrite_peak_rss_mib", s.peak_rss_mib_median),
                ("output_mib", out_size / 1048576.0),
            ],
            format!(
                "input {:.2} MB, output {:.2} MB, added {:.2} MB of which shim {:.2} MB",
                in_size / 1e6,
                out_size / 1e6,
                added / 1e6,
                shim_size / 1e6
            ),
        );
        group.goal(
            format!("rewrite {name} in under 1 s"),
            s.wall_ms_median < 1000.0,
            format!("{:.0} ms", s.wall_ms_median),
        );
        group.goal(
            format!("rewrite {name} adds at most 1 MB plus the shim"),
            added <= 1e6 + shim_size,
            format!("{:.2} MB added, shim {:.2} MB", added / 1e6, shim_size / 1e6),
        );
        if name == "hello" {
            rewritten_hello = out;
        }
    }

    // Start-up of hello, every host in the same run.
    let hello = root.join("samples/go/hello");
    let js = go_build(&hello, Goos::Js, v)?;
    let wasip1 = go_build(&hello, Goos::Wasip1, v)?;
    let wasmtime = tools::wasmtime()?;
    let node = tools::node()?;
    let glue = tools::wasm_exec_node(v)?;
    let warm = settings.warmup.max(1); // fills wasmtime's compilation cache
    let mut startup = |name: &str, make: &dyn Fn() -> Command| -> Result<()> {
        let s = sample(make, warm, settings.runs)?;
        group.push(
            name,
            &[("wall_ms", s.wall_ms_median), ("peak_rss_mib", s.peak_rss_mib_median)],
            format!("{} runs", s.runs),
        );
        Ok(())
    };
    startup("wasmtime run, GOOS=wasip1 (cache warm)", &|| {
        let mut c = Command::new(&wasmtime);
        c.arg("run").arg(&wasip1);
        c
    })?;
    startup("wasmtime run, GOOS=js rewritten (cache warm)", &|| {
        let mut c = Command::new(&wasmtime);
        c.arg("run").arg(&rewritten_hello);
        c
    })?;
    if let Ok(server) = tools::workspace_binary("wasm-server") {
        startup("wasm-server run, GOOS=js rewritten (cache warm)", &|| {
            let mut c = Command::new(&server);
            c.arg("run").arg(&rewritten_hello);
            c
        })?;
    }
    startup("node + wasm_exec_node.js, GOOS=js", &|| {
        let mut c = Command::new(&node);
        c.arg(&glue).arg(&js);
        c
    })?;
    group.compute_ratios();
    let base = group.metric("wasmtime run, GOOS=wasip1 (cache warm)", "wall_ms").unwrap_or(f64::NAN);
    let base_rss = group.metric("wasmtime run, GOOS=wasip1 (cache warm)", "peak_rss_mib").unwrap_or(f64::NAN);
    let rw = group.metric("wasmtime run, GOOS=js rewritten (cache warm)", "wall_ms").unwrap_or(f64::NAN);
    let rw_rss = group.metric("wasmtime run, GOOS=js rewritten (cache warm)", "peak_rss_mib").unwrap_or(f64::NAN);
    let node_ms = group.metric("node + wasm_exec_node.js, GOOS=js", "wall_ms").unwrap_or(f64::NAN);
    group.goal(
        "rewritten hello starts within 1.3x of GOOS=wasip1 (wall)",
        rw <= 1.3 * base,
        format!("{:.2}x", rw / base),
    );
    group.goal(
        "rewritten hello peak RSS within 1.3x of GOOS=wasip1",
        rw_rss <= 1.3 * base_rss,
        format!("{:.2}x", rw_rss / base_rss),
    );
    group.goal("rewritten hello starts faster than node", rw < node_ms, format!("node {:.2}x slower", node_ms / rw));
    Ok(group)
}
