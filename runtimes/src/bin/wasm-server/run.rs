//! `wasm-server run APP.wasm [OPTIONS] [-- ARGS...]`

use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use wasm_server::cache::ModuleCache;
use wasm_server::command::{self, RunConfig};
use wasm_server::options::RuntimeOptions;

/// Run a WASI command program: a preview1 core module or a WASI 0.2 component.
///
/// Standard input, output and error are the guest's; the exit status is the guest's exit code,
/// 124 when --timeout ended it, 134 when it trapped or exceeded --max-memory or --cpu-limit,
/// and 2 when it could not start.
#[derive(Args)]
pub struct Opts {
    /// The program (.wasm).
    app: PathBuf,

    #[command(flatten)]
    options: RuntimeOptions,

    /// Folder of precompiled code (default: ~/.cache/wasm-server).
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,

    /// Compile every time; neither read nor write the cache.
    #[arg(long)]
    no_cache: bool,

    /// What the program sees as argv[0] (default: the file name of APP).
    #[arg(long, value_name = "NAME")]
    argv0: Option<String>,

    /// Arguments for the program (after `--`).
    #[arg(last = true, value_name = "ARGS")]
    args: Vec<String>,
}

impl Opts {
    pub fn run(self) -> Result<i32> {
        let cache_dir = if self.no_cache { None } else { self.cache_dir.or_else(ModuleCache::default_dir) };
        let name = self
            .argv0
            .unwrap_or_else(|| self.app.file_name().map_or_else(|| "app".into(), |n| n.to_string_lossy().into_owned()));
        let args = std::iter::once(name).chain(self.args).collect();
        let config = RunConfig { options: self.options, args, cache_dir };
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        Ok(runtime.block_on(command::run(&self.app, config))?)
    }
}
