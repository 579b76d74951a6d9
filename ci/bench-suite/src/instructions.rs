//! Instructions per request, counted by valgrind's callgrind, and split by whose code ran them:
//! Go's compiled code (its runtime, the standard library, the handler), httpserve (our Go
//! package, in the same module), the gojs shim, other guest code (the generated glue, adapters,
//! trampolines; all of a non-Go guest), and the host (wasmtime, wasmtime-wasi-http, libc).
//!
//! CPU time on this shared 2-core machine varies by half between two runs of the same build;
//! an instruction count varies by under 0.5% (Go's map order and garbage collection differ
//! between runs; the Rust hello's by a few instructions), so a change of a few percent shows,
//! and the split says what a change could gain at most. Instructions are not time (a cache
//! miss costs no instruction: see crate::in_process for that side), so the rows print beside
//! the CPU times, not instead of them.
//!
//! How: the component is compiled once, for a baseline CPU of the host's architecture
//! (valgrind's virtual CPU hides some of the real one's features, and wasmtime refuses code
//! compiled for features the CPU lacks), with wasmtime's perf map on so that JIT code has
//! names. This binary then runs itself under callgrind twice (`--callgrind-child`), calling
//! `handle` [`FEW`] and [`MANY`] times in one reused instance. The difference of the two
//! counts, over `MANY - FEW`, is one warm request without start-up, compilation or loading.
//! Each function's own instructions (callgrind_annotate, not inclusive) are attributed by name:
//! host code by its symbol, JIT code by finding its address in `/tmp/perf-PID.map`.

use crate::in_process::{get, instance};
use anyhow::{bail, ensure, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use wasm_server::engine::{self, Allocation};
use wasmtime::component::Component;
use wasmtime::{Engine, ProfilingStrategy};

/// Requests in the shorter and the longer counted run; the first requests of an instance do
/// one-time work (Go's heap grows, lazy trampolines), which the shorter run covers.
pub const FEW: u32 = 200;
pub const MANY: u32 = 1200;

/// The hidden flag of `ci/bench` that runs [`child`] (see main.rs).
pub const CHILD_FLAG: &str = "callgrind-child";

/// Names of [`Split::metrics`] that other rows' text reads.
pub const TOTAL: &str = "instructions_per_request";
pub const GO_CODE: &str = "go_code";
pub const HTTPSERVE: &str = "httpserve";

/// Instructions of one request, by whose code ran them.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Split {
    /// Go's compiled code other than httpserve: runtime, standard library, the handler.
    pub go: f64,
    /// httpserve, our Go package (in the Go module).
    pub httpserve: f64,
    /// The gojs shim's core module.
    pub shim: f64,
    /// Other JIT code: generated glue, adapters, trampolines, wasmtime's builtins; all of a
    /// guest that is not Go.
    pub other_guest: f64,
    /// Code with a symbol outside the guest: wasmtime, wasmtime-wasi(-http), tokio, libc.
    pub host: f64,
    /// Code callgrind could not name and the perf map does not hold.
    pub unnamed: f64,
}

impl Split {
    pub fn total(&self) -> f64 {
        self.go + self.httpserve + self.shim + self.other_guest + self.host + self.unnamed
    }

    /// The metrics of a bench row.
    pub fn metrics(&self) -> [(&'static str, f64); 7] {
        [
            (TOTAL, self.total()),
            (GO_CODE, self.go),
            (HTTPSERVE, self.httpserve),
            ("shim", self.shim),
            ("other_guest_code", self.other_guest),
            ("host", self.host),
            ("unnamed", self.unnamed),
        ]
    }

    fn per_request(many: Split, few: Split, requests: u32) -> Split {
        let n = f64::from(requests);
        Split {
            go: (many.go - few.go) / n,
            httpserve: (many.httpserve - few.httpserve) / n,
            shim: (many.shim - few.shim) / n,
            other_guest: (many.other_guest - few.other_guest) / n,
            host: (many.host - few.host) / n,
            unnamed: (many.unnamed - few.unnamed) / n,
        }
    }
}

/// Instructions of one warm GET of each of `paths` through `component`'s `handle`, split by
/// whose code ran them (one compilation for all). Needs valgrind (`ci/setup --bench`).
pub fn per_request(component: &Path, paths: &[&str]) -> Result<Vec<Split>> {
    ensure!(
        testkit::tools::which("valgrind").is_some() && testkit::tools::which("callgrind_annotate").is_some(),
        "valgrind is not installed (ci/setup --bench installs it)"
    );
    let dir = crate::groups::server::tempdir("callgrind")?;
    let counted = (|| {
        let cwasm = dir.join("component.cwasm");
        // Compiled here without the perf map (wasmtime would write one for this process too,
        // and nothing reads it); the child, which loads the code, writes its own.
        let compiled = Component::from_file(&baseline_engine(false)?, component)
            .map_err(|e| anyhow::anyhow!("compiling {}: {e:#}", component.display()))?;
        std::fs::write(&cwasm, compiled.serialize().map_err(|e| anyhow::anyhow!("{e:#}"))?)?;
        paths
            .iter()
            .map(|path| {
                let few = count(&cwasm, path, FEW, &dir)?;
                let many = count(&cwasm, path, MANY, &dir)?;
                Ok(Split::per_request(many, few, MANY - FEW))
            })
            .collect()
    })();
    // `WSB_KEEP_CALLGRIND=1` keeps the runs' callgrind files (callgrind.N.out) and perf maps
    // (perf.N.map) for a look at single functions (callgrind_annotate).
    if std::env::var_os("WSB_KEEP_CALLGRIND").is_some() {
        eprintln!("callgrind outputs kept in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    counted
}

/// Runs under callgrind: `n` GETs of `path` through the precompiled component `cwasm`.
pub fn child(cwasm: &Path, path: &str, n: u32) -> Result<()> {
    // wasmtime appends to the map: one a process of the same pid left must not mix in.
    let _ = std::fs::remove_file(perf_map(std::process::id()));
    let engine = baseline_engine(true)?;
    // SAFETY: `cwasm` was written by `per_request` in this run, from this engine's settings.
    let component = unsafe { Component::deserialize_file(&engine, cwasm) }
        .map_err(|e| anyhow::anyhow!("loading {}: {e:#}", cwasm.display()))?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let (mut store, proxy) = instance(&engine, &component).await?;
        let url = format!("http://localhost{path}");
        for _ in 0..n {
            get(&mut store, &proxy, &url).await?;
        }
        Ok(())
    })
}

/// wasm-server's engine, compiling for a baseline CPU; with `perf_map`, naming its JIT code in
/// [`perf_map`] (a setting that does not change the code: code compiled without it loads).
fn baseline_engine(perf_map: bool) -> Result<Engine> {
    let mut config = engine::config(Allocation::OnDemand);
    let triple = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    config.target(&triple).map_err(|e| anyhow::anyhow!("compiling for {triple}: {e:#}"))?;
    if perf_map {
        config.profiler(ProfilingStrategy::PerfMap);
    }
    Engine::new(&config).map_err(|e| anyhow::anyhow!("the baseline engine: {e:#}"))
}

/// Instructions of a callgrind run of `n` requests, attributed.
fn count(cwasm: &Path, path: &str, n: u32, dir: &Path) -> Result<Split> {
    let out = dir.join(format!("callgrind.{n}.out"));
    let child = Command::new("valgrind")
        .args(["--tool=callgrind", "--quiet"])
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(std::env::current_exe()?)
        .arg(format!("--{CHILD_FLAG}"))
        .arg(cwasm)
        .arg(path)
        .arg(n.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting valgrind")?;
    // Valgrind runs its client in its own process: the perf map is named after this pid.
    let map_path = perf_map(child.id());
    let done = child.wait_with_output()?;
    let map = std::fs::read_to_string(&map_path);
    if std::env::var_os("WSB_KEEP_CALLGRIND").is_some() {
        let _ = std::fs::copy(&map_path, dir.join(format!("perf.{n}.map")));
    }
    let _ = std::fs::remove_file(&map_path);
    if !done.status.success() {
        bail!("{n} requests under callgrind failed: {}", String::from_utf8_lossy(&done.stderr).trim());
    }
    let map = PerfMap::parse(&map.with_context(|| format!("reading wasmtime's perf map {}", map_path.display()))?);
    let annotated = Command::new("callgrind_annotate")
        .args(["--inclusive=no", "--threshold=100"])
        .arg(&out)
        .output()
        .context("running callgrind_annotate")?;
    ensure!(
        annotated.status.success(),
        "callgrind_annotate failed: {}",
        String::from_utf8_lossy(&annotated.stderr).trim()
    );
    attribute(&String::from_utf8_lossy(&annotated.stdout), &map)
}

/// Where wasmtime's perf map of process `pid` is written.
fn perf_map(pid: u32) -> PathBuf {
    PathBuf::from(format!("/tmp/perf-{pid}.map"))
}

/// JIT code's names: `/tmp/perf-PID.map` lines `START SIZE NAME`, addresses in hex. Guest
/// functions are named `wasm[MODULE]::function[INDEX]::SYMBOL`.
struct PerfMap {
    /// (start, end, name), by start.
    entries: Vec<(u64, u64, String)>,
    /// The module holding Go's runtime, and the shim's module.
    go_module: Option<String>,
    shim_module: Option<String>,
}

impl PerfMap {
    fn parse(text: &str) -> PerfMap {
        let mut entries: Vec<_> = text
            .lines()
            .filter_map(|line| {
                let mut parts = line.splitn(3, ' ');
                let start = u64::from_str_radix(parts.next()?.trim_start_matches("0x"), 16).ok()?;
                let size = u64::from_str_radix(parts.next()?.trim_start_matches("0x"), 16).ok()?;
                Some((start, start + size, parts.next()?.to_string()))
            })
            .collect();
        // wasmtime writes each function more than once: under its module's `wasm[N]::` name,
        // and, for modules with a name section, under that name alone; keep one entry per
        // address, the module's.
        entries.sort_by_key(|e| (e.0, module(&e.2).is_none()));
        entries.dedup_by_key(|e| e.0);
        let module_of = |needle: &dyn Fn(&str) -> bool| {
            entries.iter().find(|e| needle(&e.2)).and_then(|e| module(&e.2)).map(str::to_string)
        };
        let go_module = module_of(&|name| name.ends_with("::runtime.mallocgc"));
        // The shim is the module with the shared realm's code in it (crate js_realm).
        let shim_module = module_of(&|name| name.contains("js_realm") || name.contains("gojs_shim"));
        PerfMap { entries, go_module, shim_module }
    }

    /// Where the instructions of the JIT function `name` count.
    fn guest_slot<'s>(&self, split: &'s mut Split, name: &str) -> &'s mut f64 {
        if name.contains("gojs_httpserve.") {
            return &mut split.httpserve;
        }
        match function_module(name) {
            Some(m) if Some(m) == self.go_module.as_deref() => &mut split.go,
            Some(m) if Some(m) == self.shim_module.as_deref() => &mut split.shim,
            _ => &mut split.other_guest,
        }
    }

    fn lookup(&self, addr: u64) -> Option<&str> {
        let i = self.entries.partition_point(|e| e.0 <= addr).checked_sub(1)?;
        let (_, end, name) = &self.entries[i];
        (addr < *end).then_some(name.as_str())
    }
}

/// `wasm[3]` of `wasm[3]::function[12]::name`, and of `wasm[3]::array_to_wasm_trampoline[7]`.
fn module(name: &str) -> Option<&str> {
    name.split_once("::").map(|(m, _)| m).filter(|m| m.starts_with("wasm["))
}

/// The module of a function compiled from the module's code (not of a trampoline wasmtime
/// made for it).
fn function_module(name: &str) -> Option<&str> {
    module(name).filter(|m| name[m.len()..].starts_with("::function["))
}

/// Sums callgrind_annotate's per-function lines (`1,234 ( 0.5%)  file:function [object]`; the
/// percentage may be left out), checked against its `PROGRAM TOTALS` line.
fn attribute(annotated: &str, map: &PerfMap) -> Result<Split> {
    let mut split = Split::default();
    let mut totals = None;
    for line in annotated.lines() {
        let Some((count, rest)) = line.trim_start().split_once(' ') else { continue };
        let Ok(count) = count.replace(',', "").parse::<f64>() else { continue };
        let rest = rest.trim_start();
        let function = match rest.strip_prefix('(').and_then(|r| r.split_once(')')) {
            Some((_, function)) => function.trim(),
            None => rest.trim(),
        };
        if function.starts_with("PROGRAM TOTALS") {
            totals = Some(count);
            continue;
        }
        // JIT code: no symbol and no object (`???:0x0000000005a7cf80 [???]`); code of an
        // object without symbols names the object instead.
        let jit = function
            .strip_prefix("???:0x")
            .and_then(|r| r.strip_suffix(" [???]"))
            .and_then(|a| u64::from_str_radix(a, 16).ok());
        let slot = match jit.map(|addr| map.lookup(addr)) {
            None => &mut split.host,
            Some(None) => &mut split.unnamed,
            Some(Some(name)) => map.guest_slot(&mut split, name),
        };
        *slot += count;
    }
    let totals = totals.context("callgrind_annotate printed no PROGRAM TOTALS")?;
    ensure!(
        split.total() == totals,
        "callgrind_annotate's functions add up to {} instructions, its total is {totals}",
        split.total()
    );
    Ok(split)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAP: &str = "\
0x2000 40 _ZN14gojs_shim_http3web4http10begin_direct17h0E
0x1000 100 wasm[3]::function[1035]::runtime.mallocgc
0x1000 100 wasm[3]::function[1035]::runtime.mallocgc
0x1100 80 wasm[3]::function[178]::wasm_server_bindgen_gojs_httpserve.parseHead
0x2000 40 wasm[0]::function[604]::_ZN14gojs_shim_http3web4http10begin_direct17h0E
0x2040 40 wasm[0]::function[1175]::dlmalloc
0x3000 10 wasm[7]::function[38]
0x3010 10 wasmtime_builtin_memory_copy
0x3020 10 wasm[3]::array_to_wasm_trampoline[7]
";

    const ANNOTATED: &str = "\
--------------------------------------------------------------------------------
Ir                  file:function
--------------------------------------------------------------------------------
3,087 (100.0%)  PROGRAM TOTALS
  400 ( 0.04%)  ???:0x0000000000001010 [???]
  300 ( 0.03%)  ???:0x0000000000001120 [???]
  200 ( 0.02%)  ???:0x0000000000002050 [???]
   50 ( 0.01%)  ???:0x0000000000002000 [???]
   20 ( 0.00%)  ???:0x0000000000003012 [???]
    7 ( 0.00%)  ???:0x0000000000009000 [???]
    4 ( 0.00%)  ???:0x0000000000003021 [???]
    6 ( 0.00%)  ???:0x00000000000004b0 [/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2]
1,500 ( 0.15%)  ./malloc/./malloc/malloc.c:_int_free [/usr/lib/x86_64-linux-gnu/libc.so.6]
  600 ( 0.06%)  ???:wasmtime::runtime::component::func::host::HostFn::entrypoint [/bench]
";

    #[test]
    fn functions_are_attributed_by_module_and_name() {
        let map = PerfMap::parse(MAP);
        assert_eq!((map.go_module.as_deref(), map.shim_module.as_deref()), (Some("wasm[3]"), Some("wasm[0]")));
        let split = attribute(ANNOTATED, &map).unwrap();
        // The trampoline in the Go module is glue; the object without symbols is the host's.
        assert_eq!(
            split,
            Split { go: 400.0, httpserve: 300.0, shim: 250.0, other_guest: 24.0, host: 2106.0, unnamed: 7.0 }
        );
    }

    #[test]
    fn counts_without_percentages_parse_and_must_add_up_to_the_total() {
        let map = PerfMap::parse(MAP);
        let plain = "90  PROGRAM TOTALS\n80  ???:0x0000000000001001 [???]\n10  ???:main [/bench]\n";
        assert_eq!(attribute(plain, &map).unwrap(), Split { go: 80.0, host: 10.0, ..Split::default() });
        let short = plain.replace("90  PROGRAM", "91  PROGRAM");
        assert!(attribute(&short, &map).unwrap_err().to_string().contains("add up to 90"));
        assert!(attribute("80  ???:main [/bench]\n", &map).is_err());
    }

    #[test]
    fn an_address_past_a_function_s_end_is_not_that_function() {
        let map = PerfMap::parse(MAP);
        assert_eq!(map.lookup(0x1000), Some("wasm[3]::function[1035]::runtime.mallocgc"));
        assert_eq!(map.lookup(0x10ff), Some("wasm[3]::function[1035]::runtime.mallocgc"));
        assert_eq!(map.lookup(0x1180), None);
        assert_eq!(map.lookup(0xfff), None);
    }

    #[test]
    fn one_request_is_the_difference_over_the_extra_requests() {
        let few = Split { go: 100.0, host: 50.0, ..Split::default() };
        let many = Split { go: 1100.0, host: 250.0, ..Split::default() };
        assert_eq!(Split::per_request(many, few, 100), Split { go: 10.0, host: 2.0, ..Split::default() });
    }

    #[test]
    fn a_guest_without_go_is_all_other_guest_code() {
        let map = PerfMap::parse("0x1000 100 wasm[0]::function[3]::hello::handle\n");
        assert_eq!((map.go_module.as_deref(), map.shim_module.as_deref()), (None, None));
        let split =
            attribute("90 (100.0%)  PROGRAM TOTALS\n  90 ( 0.1%)  ???:0x0000000000001001 [???]\n", &map).unwrap();
        assert_eq!(split, Split { other_guest: 90.0, ..Split::default() });
    }
}
