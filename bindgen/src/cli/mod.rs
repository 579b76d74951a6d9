//! Command-line definitions: one module per subcommand.

pub mod exit;
mod inspect;
mod rewrite;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::process::ExitCode;
use wasm_server_bindgen::Registry;

/// Make browser-targeted WebAssembly run on WASI hosts.
#[derive(Debug, Parser)]
#[command(name = "wasm-server-bindgen", version, about, max_term_width = 100, after_help = exit::HELP)]
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
    /// Parses the command line; the help names the flavours of `registry`.
    pub fn parse_with(registry: &Registry) -> Cli {
        let long_about = |c: &clap::Command| c.get_long_about().map(|a| a.to_string()).unwrap_or_default();
        let mut flavours: Vec<&str> = registry.frontends().map(|f| f.name()).collect();
        flavours.push(wasm_server_bindgen::registry::UNKNOWN);
        let command = Cli::command()
            .mut_subcommand("inspect", |c| {
                let about = long_about(&c);
                c.long_about(format!("{about}: one of {}.", flavours.join(", ")))
            })
            .mut_subcommand("rewrite", |c| {
                let about = long_about(&c);
                c.long_about(format!(
                    "{about} Rewrites today: {}; other flavours are named with what to do.",
                    registry.supported()
                ))
            });
        Cli::from_arg_matches(&command.get_matches()).unwrap_or_else(|e| e.exit())
    }

    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self.command {
            Command::Inspect(opts) => opts.run(),
            Command::Rewrite(opts) => opts.run(),
        }
    }
}
