//! `wasm-server-bindgen inspect FILE [--json]`

use anyhow::Result;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Name the flavour of a .wasm file, list every import with whether it can run on WASI, and
/// give a verdict.
///
/// The JSON form (--json) is stable: see docs/inspect-json.md. The flavour is the top-level
/// key "flavour"
#[derive(Debug, clap::Args)]
pub struct Opts {
    /// The WebAssembly module or component to inspect.
    file: PathBuf,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    json: bool,
}

impl Opts {
    pub fn run(self) -> Result<ExitCode> {
        let report = wasm_server_bindgen::inspect_file(&self.file)?;
        let text = if self.json { serde_json::to_string_pretty(&report)? + "\n" } else { report.to_text() };
        std::io::stdout().lock().write_all(text.as_bytes())?;
        Ok(ExitCode::SUCCESS)
    }
}
