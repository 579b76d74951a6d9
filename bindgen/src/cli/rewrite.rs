//! `wasm-server-bindgen rewrite IN.wasm -o OUT.wasm`

use anyhow::{bail, Result};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use wasm_server_bindgen::frontend::AppKind;
use wasm_server_bindgen::rewrite::{self, Options};

/// Rewrite a browser-targeted module into a WASI 0.2 component.
///
/// The output imports WASI only and runs on stock hosts: `wasmtime run OUT.wasm ARGS…`.
#[derive(Debug, clap::Args)]
#[command(after_help = crate::cli::exit::HELP)]
pub struct Opts {
    /// The module to rewrite.
    input: PathBuf,
    /// Where to write the component ("-" for stdout, refused when stdout is a terminal).
    #[arg(short, long)]
    output: PathBuf,
    /// The flavour's shim component (default: found beside this executable or in its cargo
    /// target folder, or in $WASM_SERVER_BINDGEN_SHIMS).
    #[arg(long)]
    shim: Option<PathBuf>,
    /// What to make of the program: `command` (wasi:cli/run) or `http-handler`
    /// (wasi:http/incoming-handler). Default: what the module says (a Go program is an HTTP
    /// handler when it imports workers.ready, the Workers fetch contract, else a command).
    #[arg(long = "as", value_name = "APP")]
    app: Option<AppKind>,
    /// Give an HTTP handler the host's key-value stores (`context.kv`, over wasi:keyvalue; the
    /// component then imports wasi:keyvalue). Default: only when the program uses them (a Go
    /// program: the package wasm-server-bindgen/gojs/kv).
    #[arg(long)]
    kv: bool,
    /// Keep an HTTP handler's imports inside the wasi:http/proxy world, for `wasmtime serve`
    /// without `-S cli` and hosts that offer only that world. The program then sees no
    /// environment variables, one argument (its file name), no files. Default: the handler
    /// also imports wasi:cli, wasi:filesystem and wasi:random/insecure-seed.
    #[arg(long)]
    strict_proxy: bool,
    /// Print what was done and how long each step took (to stderr).
    #[arg(short, long)]
    verbose: bool,
}

impl Opts {
    pub fn run(self) -> Result<ExitCode> {
        let to_stdout = self.output.as_os_str() == "-";
        if to_stdout && std::io::stdout().is_terminal() {
            bail!("refusing to write a binary component to a terminal; pass -o FILE or redirect stdout");
        }
        let outcome = rewrite::rewrite_file(
            &self.input,
            &Options { shim: self.shim, app: self.app, kv: self.kv, strict_proxy: self.strict_proxy },
        )?;
        if to_stdout {
            use std::io::Write;
            std::io::stdout().lock().write_all(&outcome.component)?;
        } else {
            rewrite::write_output(&self.output, &outcome.component)?;
        }
        if outcome.app == AppKind::HttpHandler && !self.strict_proxy {
            // The one thing `wasmtime serve OUT.wasm` would otherwise trip over.
            eprintln!(
                "note: the handler also imports wasi:cli, wasi:filesystem and wasi:random/insecure-seed (environment, arguments, files): \
                 serve it with `wasmtime serve -S cli` or `wasm-server serve`; rewrite with --strict-proxy for \
                 hosts that offer only the wasi:http/proxy world"
            );
        }
        if self.verbose {
            eprintln!(
                "rewrote {} ({}, {}, {}): {} {} imports replaced; {} → {} bytes; shim {}",
                self.input.display(),
                outcome.flavour,
                outcome.toolchain.as_deref().unwrap_or("version unknown"),
                match outcome.app {
                    AppKind::Command => "command → wasi:cli/run",
                    AppKind::HttpHandler if outcome.kv =>
                        "HTTP handler → wasi:http/incoming-handler, with key-value stores",
                    AppKind::HttpHandler => "HTTP handler → wasi:http/incoming-handler",
                },
                outcome.imports_replaced,
                outcome.flavour,
                outcome.input_size,
                outcome.output_size,
                outcome.shim.display()
            );
            if !outcome.stood_in.is_empty() {
                eprintln!("  strict wasi:http/proxy: stand-ins for {}", outcome.stood_in.join(", "));
            }
            for (step, secs) in &outcome.timings {
                eprintln!("  {step:<16} {:>8.1} ms", secs * 1000.0);
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
