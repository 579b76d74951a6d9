//! The conformance runner.
//!
//!     conformance run [--filter TEXT] [--hosts node,wasmtime,wasm-server] [--out DIR]
//!     conformance list
//!
//! Builds every case's guest with its real toolchain, runs it on node with the toolchain's glue
//! (the reference) and rewritten on the WASI hosts, and writes `matrix.md` and `matrix.json`
//! to the output folder. Exits 1 when a cell fails that expected-failures.toml does not explain.

mod cases;
mod compare;
mod expected;
mod gotest;
mod hosts;
mod http;
mod matrix;
mod runner;
mod rawhttp;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use hosts::{HostKind, Programs};
use std::path::PathBuf;
use std::process::ExitCode;
use testkit::tools;

#[derive(Debug, Parser)]
#[command(about = "Run the conformance matrix: native JS host vs rewritten on WASI hosts")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run the cases and write the matrix.
    Run(RunOpts),
    /// List the cases.
    List,
}

#[derive(Debug, clap::Args)]
struct RunOpts {
    /// Only cases whose name or capability contains this text.
    #[arg(long)]
    filter: Option<String>,
    /// Hosts to run on, comma-separated (default: every host available).
    #[arg(long, value_delimiter = ',')]
    hosts: Vec<String>,
    /// Output folder for matrix.md, matrix.json and work files.
    #[arg(long, default_value = "conformance/out")]
    out: PathBuf,
    /// The wasm-server-bindgen binary (default: next to this runner).
    #[arg(long)]
    bindgen: Option<PathBuf>,
    /// The wasmtime CLI (default: the pinned one in .tools/).
    #[arg(long)]
    wasmtime: Option<PathBuf>,
    /// The wasm-server binary (default: next to this runner, when built).
    #[arg(long)]
    wasm_server: Option<PathBuf>,
    /// Cases run in parallel.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Also copy matrix.md to conformance/MATRIX.md (the committed copy the README links).
    #[arg(long)]
    bless: bool,
}

fn sibling(name: &str) -> Option<PathBuf> {
    let p = std::env::current_exe().ok()?.parent()?.join(name);
    p.exists().then_some(p)
}

fn main() -> ExitCode {
    match real_main() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn real_main() -> Result<ExitCode> {
    let root = tools::repo_root();
    let suite = cases::load(&root.join("conformance/cases"))?;
    match Cli::parse().command {
        Cmd::List => {
            for c in &suite.cases {
                println!("{:<28} {:<16} {}", c.name, c.capability, c.guest);
            }
            for c in &suite.http {
                println!("{:<28} {:<16} {} (HTTP)", c.name, c.capability, c.guest);
            }
            for p in suite.gotests.iter().flat_map(|g| &g.packages) {
                println!("{:<28} {:<16} go test -c {p}", format!("std/{p}"), "go test");
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Run(opts) => run(opts, suite),
    }
}

fn run(opts: RunOpts, suite: cases::Suite) -> Result<ExitCode> {
    let root = tools::repo_root();
    let programs = Programs {
        bindgen: opts
            .bindgen
            .or_else(|| sibling("wasm-server-bindgen"))
            .context("wasm-server-bindgen not found next to the runner: build it or pass --bindgen")?,
        node: tools::node()?,
        wasmtime: opts.wasmtime.map_or_else(tools::wasmtime, Ok)?,
        wasm_server: opts.wasm_server.or_else(|| sibling("wasm-server")),
    };
    let mut hosts = Vec::new();
    if opts.hosts.is_empty() {
        hosts.extend([HostKind::Node, HostKind::Wasmtime, HostKind::WasmServer]);
    } else {
        for h in &opts.hosts {
            hosts.push(HostKind::parse(h).with_context(|| format!("unknown host '{h}' (known: node, wasmtime, wasm-server)"))?);
        }
        if !hosts.contains(&HostKind::Node) {
            hosts.insert(0, HostKind::Node); // the reference every other host is compared with
        }
    }
    let matches = |name: &str, capability: &str| opts.filter.as_deref().is_none_or(|f| name.contains(f) || capability.contains(f));
    let selected: Vec<_> = suite.cases.into_iter().filter(|c| matches(&c.name, &c.capability)).collect();
    let gotests = suite.gotests.map(|mut g| {
        g.packages.retain(|p| matches(&format!("std/{p}"), "go test"));
        g
    });
    let http_cases: Vec<_> = suite.http.into_iter().filter(|c| matches(&c.name, &c.capability)).collect();
    if selected.is_empty() && http_cases.is_empty() && gotests.as_ref().is_none_or(|g| g.packages.is_empty()) {
        bail!("no case matches the filter");
    }
    let out = if opts.out.is_absolute() { opts.out.clone() } else { root.join(&opts.out) };
    std::fs::create_dir_all(&out)?;
    let expected = expected::Expected::load(&root.join("conformance/expected-failures.toml"))?;
    let runner = runner::Runner::new(programs, hosts, out.clone(), expected, opts.jobs)?;
    let mut matrix = runner.run(&selected)?;
    matrix.rows.extend(runner.run_http(&http_cases));
    if let Some(g) = gotests.filter(|g| !g.packages.is_empty()) {
        matrix.rows.extend(runner.run_gotests(&g));
        for skip in g.skip.iter().filter(|s| g.packages.contains(&s.package)) {
            matrix.skipped.push((format!("go test {}: {}", skip.package, skip.test), skip.reason.clone()));
        }
    }

    let md = matrix.to_markdown();
    std::fs::write(out.join("matrix.md"), &md)?;
    std::fs::write(out.join("matrix.json"), serde_json::to_string_pretty(&matrix.to_json())? + "\n")?;
    if opts.bless {
        std::fs::write(root.join("conformance/MATRIX.md"), &md)?;
    }
    println!("{md}");
    println!("matrix written to {}", out.join("matrix.md").display());
    let unexpected = matrix.unexpected_failures();
    if unexpected.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("\n{} unexpected failure(s):", unexpected.len());
        for (row, host, cell) in unexpected {
            eprintln!("  {} ({}) on {}: {}", row.case, row.toolchain, host.label(), cell.detail);
        }
        Ok(ExitCode::FAILURE)
    }
}
