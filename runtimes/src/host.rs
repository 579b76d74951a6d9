//! The state of one store (one program run, or one request): WASI, `wasi:http`, key-value, the
//! memory limiter; the linker that exposes all of it; and how options become a `WasiCtx`.

use crate::kv::host::{KvCtx, KvView};
use crate::limits::{HasLimiter, MemoryLimiter};
use crate::options::RuntimeOptions;
use crate::outbound::OutboundPolicy;
use std::path::Path;
use wasmtime::component::{Linker, ResourceTable};
use wasmtime::Engine;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// Store data for components (commands and HTTP apps).
pub struct Host {
    pub table: ResourceTable,
    pub wasi: WasiCtx,
    pub http: WasiHttpCtx,
    pub outbound: OutboundPolicy,
    pub kv: KvCtx,
    pub limiter: MemoryLimiter,
}

impl Host {
    pub fn new(wasi: WasiCtx, outbound: OutboundPolicy, kv: KvCtx, max_memory: u64) -> Host {
        Host {
            table: ResourceTable::new(),
            wasi,
            http: WasiHttpCtx::new(),
            outbound,
            kv,
            limiter: MemoryLimiter::new(max_memory),
        }
    }
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for Host {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.outbound }
    }
}

impl HasLimiter for Host {
    fn limiter(&mut self) -> &mut MemoryLimiter {
        &mut self.limiter
    }
}

fn kv_view(h: &mut Host) -> KvView<'_> {
    KvView { ctx: &h.kv, table: &mut h.table }
}

/// One linker for every component: the whole WASI 0.2 command world (so HTTP apps can read
/// their preopened folders too), `wasi:http`, and the key-value interfaces. What an app may
/// actually reach is decided per store (preopens, outbound policy, allowed stores).
pub fn component_linker(engine: &Engine) -> wasmtime::Result<Linker<Host>> {
    let mut linker = Linker::new(engine);
    // Includes `wasi:cli/exit.exit-with-code` (stable since WASI 0.2.4): how WASI 0.2 programs
    // exit with a code other than 0 and 1.
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    crate::kv::host::add_to_linker(&mut linker, kv_view)?;
    Ok(linker)
}

/// Environment and preopened folders from the options (relative host folders are resolved
/// against `base`). Standard streams and arguments are left to the caller.
pub fn wasi_builder(options: &RuntimeOptions, base: &Path) -> Result<WasiCtxBuilder, String> {
    let mut b = WasiCtxBuilder::new();
    for e in &options.env {
        b.env(&e.key, &e.value);
    }
    for d in &options.dir {
        let host = base.join(&d.host);
        if !host.is_dir() {
            return Err(format!("--dir {}: {} is not a folder", d.host.display(), host.display()));
        }
        b.preopened_dir(&host, &d.guest, FsPerms::ReadWrite)
            .map_err(|e| format!("--dir {}: cannot open {}: {e}", d.host.display(), host.display()))?;
    }
    Ok(b)
}
