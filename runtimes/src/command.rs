//! `wasm-server run`: one command program to completion, either a WASI preview1 core module
//! (`_start`) or a WASI 0.2 component exporting `wasi:cli/run`. Standard streams are the
//! host's (streamed as written), the exit code is the guest's, limits end it with a named
//! error.

use crate::cache::{Compiled, ModuleCache};
use crate::engine::{self, Allocation, EpochTicker};
use crate::host::{component_linker, wasi_builder, Host};
use crate::kv::host::KvCtx;
use crate::limits::{self, HasLimiter, LimitExceeded, MemoryLimiter};
use crate::loader::{LoadError, WasmFile};
use crate::options::RuntimeOptions;
use crate::outbound::{HostPattern, OutboundPolicy};
use crate::units::HumanDuration;
use std::path::{Path, PathBuf};
use wasmtime::Store;
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::I32Exit;

/// Exit status when the guest trapped or ran into a memory or CPU limit (as `wasmtime run`,
/// which reports a trap like an abort: 128 + SIGABRT).
pub const EXIT_TRAP: i32 = 134;
/// Exit status when the wall-clock timeout ended the guest (as `timeout(1)`).
pub const EXIT_TIMEOUT: i32 = 124;

/// What to run and how.
pub struct RunConfig {
    pub options: RuntimeOptions,
    /// The guest's `argv`, program name first.
    pub args: Vec<String>,
    /// Precompiled-module cache folder (`None`: compile every time).
    pub cache_dir: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("{0}")]
    Setup(String),
    #[error("{} is a core module without a `_start` export: not a WASI command (a library or a reactor cannot be run)", .0.display())]
    NoStart(PathBuf),
    #[error("{} is a component that does not export `wasi:cli/run` (an HTTP app? serve it with `wasm-server serve`): {message}", path.display())]
    NotCommand { path: PathBuf, message: String },
    #[error("{0}")]
    Limit(LimitExceeded),
    #[error("timeout: the program ran for more than {0}")]
    Timeout(HumanDuration),
    #[error("the guest trapped: {0}")]
    Trap(String),
}

impl RunError {
    /// The process exit status this error stands for.
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::Limit(_) | RunError::Trap(_) => EXIT_TRAP,
            RunError::Timeout(_) => EXIT_TIMEOUT,
            _ => 2,
        }
    }
}

struct P1Host {
    wasi: WasiP1Ctx,
    limiter: MemoryLimiter,
}

impl HasLimiter for P1Host {
    fn limiter(&mut self) -> &mut MemoryLimiter {
        &mut self.limiter
    }
}

/// Runs the program at `path`; `Ok` carries the guest's exit code.
pub async fn run(path: &Path, config: RunConfig) -> Result<i32, RunError> {
    config.options.validate().map_err(RunError::Setup)?;
    let file = WasmFile::read(path)?;
    let engine = engine::build(Allocation::OnDemand).map_err(|e| RunError::Setup(format!("{e:#}")))?;
    let cache = ModuleCache::new(&engine, config.cache_dir.clone())
        .map_err(|e| RunError::Setup(format!("cache folder: {e}")))?;
    let (compiled, _) = file.compile(&engine, &cache)?;
    let _ticker = EpochTicker::start(&engine);

    let options = &config.options;
    let mut builder = wasi_builder(options, Path::new(".")).map_err(RunError::Setup)?;
    builder.args(&config.args).inherit_stdio();
    let max_memory = options.run_max_memory_bytes();
    let cpu = options.cpu_limit.map(|d| d.0);

    let run = async {
        match compiled {
            Compiled::Component(component) => {
                let linker = component_linker(&engine).map_err(|e| RunError::Setup(format!("{e:#}")))?;
                let allowed = options
                    .allow_outbound
                    .iter()
                    .map(|h| HostPattern::parse(h))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(RunError::Setup)?;
                let outbound = OutboundPolicy { app: "run".into(), allowed: allowed.into() };
                let mut store = Store::new(&engine, Host::new(builder.build(), outbound, KvCtx::default(), max_memory));
                limits::apply(&mut store, cpu);
                let command = wasmtime_wasi::p2::bindings::Command::instantiate_async(&mut store, &component, &linker)
                    .await
                    .map_err(|e| classify_instantiate(&file.path, e))?;
                match command.wasi_cli_run().call_run(&mut store).await {
                    Ok(Ok(())) => Ok(0),
                    Ok(Err(())) => Ok(1),
                    Err(e) => exit_or_error(e),
                }
            }
            Compiled::Module(module) => {
                let mut linker = wasmtime::Linker::new(&engine);
                wasmtime_wasi::p1::add_to_linker_async(&mut linker, |h: &mut P1Host| &mut h.wasi)
                    .map_err(|e| RunError::Setup(format!("{e:#}")))?;
                let mut store =
                    Store::new(&engine, P1Host { wasi: builder.build_p1(), limiter: MemoryLimiter::new(max_memory) });
                limits::apply(&mut store, cpu);
                let instance = linker.instantiate_async(&mut store, &module).await.map_err(|e| {
                    if let Some(l) = LimitExceeded::find(&e) {
                        return RunError::Limit(l.clone());
                    }
                    RunError::Setup(format!("cannot instantiate {}: {e:#}", file.path.display()))
                })?;
                let start = instance
                    .get_typed_func::<(), ()>(&mut store, "_start")
                    .map_err(|_| RunError::NoStart(file.path.clone()))?;
                match start.call_async(&mut store, ()).await {
                    Ok(()) => Ok(0),
                    Err(e) => exit_or_error(e),
                }
            }
        }
    };
    match options.timeout {
        Some(t) => tokio::time::timeout(t.0, run).await.unwrap_or(Err(RunError::Timeout(t))),
        None => run.await,
    }
}

fn classify_instantiate(path: &Path, e: wasmtime::Error) -> RunError {
    if let Some(l) = LimitExceeded::find(&e) {
        return RunError::Limit(l.clone());
    }
    let message = format!("{e:#}");
    if message.contains("wasi:cli/run") {
        RunError::NotCommand { path: path.into(), message }
    } else {
        RunError::Setup(format!("cannot instantiate {}: {message}", path.display()))
    }
}

/// A guest call that failed: a requested exit, a limit, or a trap.
fn exit_or_error(e: wasmtime::Error) -> Result<i32, RunError> {
    if let Some(exit) = e.downcast_ref::<I32Exit>() {
        return Ok(exit.0);
    }
    if let Some(l) = LimitExceeded::find(&e) {
        return Err(RunError::Limit(l.clone()));
    }
    tracing::debug!("guest failed: {e:?}");
    Err(RunError::Trap(trap_message(&e)))
}

/// One line for a failed guest call: the trap (e.g. "wasm `unreachable` instruction
/// executed"), or the innermost error. The wasm backtrace is logged at debug level
/// (`RUST_LOG=wasm_server=debug`).
pub fn trap_message(e: &wasmtime::Error) -> String {
    match e.downcast_ref::<wasmtime::Trap>() {
        Some(trap) => trap.to_string(),
        None => e.root_cause().to_string(),
    }
}
