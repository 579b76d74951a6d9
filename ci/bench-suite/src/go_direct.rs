//! Go's own work per HTTP request, without syscall/js: `guests/go-direct` (the /hello and /json
//! handlers behind a ServeMux, on a worker goroutine) built for `GOOS=wasip1` as a reactor
//! (`-buildmode=c-shared`, Go 1.24+ for `//go:wasmexport`), its exports called in a loop on
//! wasmtime. `gojs-http` sets this next to the host's ceiling and the syscall/js floor: it is
//! what a request costs in the guest when Go is entered directly, the budget a request path
//! that bypasses syscall/js would start from.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use testkit::{guests, tools};
use wasmtime::{Config, Engine, Linker, Module, Store};
use wasmtime_wasi::p1::{self, WasiP1Ctx};

/// Mean microseconds per call of each export, median of `runs` timed loops.
pub struct Costs {
    /// Entering Go and returning, nothing else.
    pub noop_us: f64,
    pub hello_us: f64,
    pub json_us: f64,
}

/// Calls per timed loop (after as many untimed ones).
const CALLS: u32 = 20_000;

pub fn measure(go_version: &str, runs: usize) -> Result<Costs> {
    let wasm = build(go_version)?;
    let mut config = Config::new();
    // As wasm-server's engine: Go spends engine stack on every Go call.
    config.max_wasm_stack(wasm_server::engine::MAX_WASM_STACK);
    config.async_stack_size(wasm_server::engine::MAX_WASM_STACK + (1 << 20));
    let engine = Engine::new(&config)?;
    let module = Module::from_file(&engine, &wasm)?;
    let mut linker: Linker<WasiP1Ctx> = Linker::new(&engine);
    p1::add_to_linker_sync(&mut linker, |ctx| ctx)?;
    let mut store = Store::new(&engine, wasmtime_wasi::WasiCtxBuilder::new().inherit_stderr().build_p1());
    let instance = linker.instantiate(&mut store, &module)?;
    instance.get_typed_func::<(), ()>(&mut store, "_initialize")?.call(&mut store, ())?;
    let mut per_call = |name: &str| -> Result<f64> {
        let f = instance.get_typed_func::<(), i32>(&mut store, name)?;
        for _ in 0..CALLS {
            f.call(&mut store, ())?;
        }
        let mut samples = Vec::new();
        for _ in 0..runs.max(1) {
            let started = Instant::now();
            for _ in 0..CALLS {
                f.call(&mut store, ())?;
            }
            samples.push(started.elapsed().as_secs_f64() * 1e6 / f64::from(CALLS));
        }
        Ok(crate::measure::median(&mut samples))
    };
    Ok(Costs { noop_us: per_call("noop")?, hello_us: per_call("hello")?, json_us: per_call("json")? })
}

fn build(go_version: &str) -> Result<PathBuf> {
    let dir = tools::repo_root().join("ci/bench-suite/guests/go-direct");
    let out = tools::scratch_dir("guests").join(format!("go-direct.wasip1.go{go_version}.wasm"));
    let mut cmd: Command = guests::go_command(go_version)?;
    cmd.current_dir(&dir)
        .env("GOOS", "wasip1")
        .args(["build", "-trimpath", "-buildmode=c-shared", "-o"])
        .arg(&out)
        .arg(".");
    let status = cmd.status().with_context(|| format!("running go {go_version} build in {}", dir.display()))?;
    anyhow::ensure!(status.success(), "go {go_version} build of {} for GOOS=wasip1 failed", display(&dir));
    Ok(out)
}

fn display(p: &Path) -> String {
    p.strip_prefix(tools::repo_root()).unwrap_or(p).display().to_string()
}
