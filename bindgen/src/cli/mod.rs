//! Command-line definitions: one module per subcommand.

mod inspect;
mod rewrite;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Make browser-targeted WebAssembly run on WASI hosts.
#[derive(Debug, Parser)]
#[command(name = "wasm-server-bindgen", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Inspect(inspect::Opts),
    Rewrite(rewrite::Opts),
}

impl Cli {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self.command {
            Command::Inspect(opts) => opts.run(),
            Command::Rewrite(opts) => opts.run(),
        }
    }
}
