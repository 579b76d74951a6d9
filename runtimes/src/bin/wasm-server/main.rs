//! `wasm-server`: the command line. Each subcommand is a file with an `Opts` struct and a
//! `run()`; the work is done by the `wasm_server` library.

mod run;
mod serve;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// mimalloc rather than glibc's malloc (why, and its settings: `wasm_server::alloc`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "wasm-server", version, about = "Run WASI programs and serve wasi:http apps", max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Run(run::Opts),
    Serve(serve::Opts),
}

fn init_logging() {
    // Logs go to stderr; `RUST_LOG` overrides the default (info for this host, warn for the rest).
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,wasm_server=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}

fn main() -> ExitCode {
    wasm_server::alloc::configure();
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        Command::Run(o) => o.run(),
        Command::Serve(o) => o.run().map(|()| 0),
    };
    match result {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(e) => {
            let code = e.downcast_ref::<wasm_server::command::RunError>().map_or(2, |r| r.exit_code());
            // The whole cause chain on one line.
            eprintln!("error: {e:#}");
            ExitCode::from(code as u8)
        }
    }
}
