//! The anchors every later figure is read against: Go hello built `GOOS=js` under node with
//! Go's own `wasm_exec_node.js`, and the same program built `GOOS=wasip1` on stock
//! `wasmtime run` with a warm compilation cache.

use crate::measure::sample;
use crate::report::Group;
use crate::Settings;
use anyhow::Result;
use std::process::Command;
use testkit::guests::{go_build, Goos};
use testkit::tools;

pub fn run(settings: &Settings) -> Result<Group> {
    let v = &settings.versions.go;
    let hello = tools::repo_root().join("samples/go/hello");
    let js = go_build(&hello, Goos::Js, v)?;
    let wasip1 = go_build(&hello, Goos::Wasip1, v)?;
    let node = tools::node()?;
    let glue = tools::wasm_exec_node(v)?;
    let wasmtime = tools::wasmtime()?;

    let mut group = Group::new("anchors", "node + wasm_exec_node.js (GOOS=js)");
    let s = sample(
        || {
            let mut c = Command::new(&node);
            c.arg(&glue).arg(&js);
            c
        },
        settings.warmup,
        settings.runs,
    )?;
    group.push(
        "node + wasm_exec_node.js (GOOS=js)",
        &[("wall_ms", s.wall_ms_median), ("peak_rss_mib", s.peak_rss_mib_median)],
        format!("{} runs", s.runs),
    );

    // `-C cache=y` is wasmtime's default; the warm-up runs fill the cache.
    let s = sample(
        || {
            let mut c = Command::new(&wasmtime);
            c.arg("run").arg(&wasip1);
            c
        },
        settings.warmup.max(1),
        settings.runs,
    )?;
    group.push(
        "wasmtime run (GOOS=wasip1, cache warm)",
        &[("wall_ms", s.wall_ms_median), ("peak_rss_mib", s.peak_rss_mib_median)],
        format!("{} runs", s.runs),
    );
    group.compute_ratios();
    Ok(group)
}
