//! The conformance runner.
//!
//!     conformance run [--full [--bless]] [--filter TEXT] [--hosts node,wasmtime,wasm-server] [--out DIR]
//!     conformance list [--full]
//!
//! Builds every case's guest with its real toolchain, runs it on the toolchain's native host
//! (the reference: node with the toolchain's glue) and rewritten on the WASI hosts, and writes
//! `matrix.md` and `matrix.json` to the output folder. Without `--full`, cases with
//! `versions = "all"` run on the toolchain versions CI covers; with it, on every pinned one
//! (the committed conformance/MATRIX.md). Exits 1 when a cell fails that
//! expected-failures.toml does not explain. See conformance/README.md.

mod cases;
mod compare;
mod expected;
mod hosts;
mod http;
mod matrix;
mod rawhttp;
mod runner;
mod toolchains;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use hosts::{HostKind, Programs};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;
use testkit::tools::{self, Scope};
use toolchains::Registry;

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
    /// List the matrix's rows: case, capability, guest and toolchain version.
    List {
        /// Every pinned toolchain version, as `run --full`.
        #[arg(long)]
        full: bool,
    },
}

#[derive(Debug, clap::Args)]
struct RunOpts {
    /// Cases with `versions = "all"` on every pinned toolchain version, not only those CI
    /// covers (also set by WSB_FULL=1, as `ci/test --full` does).
    #[arg(long)]
    full: bool,
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
    /// Also copy matrix.md to conformance/MATRIX.md (the committed full matrix); only for a
    /// full run of every case on every host.
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

fn scope(full: bool) -> Scope {
    if full {
        Scope::Full
    } else {
        Scope::from_env()
    }
}

fn real_main() -> Result<ExitCode> {
    let root = tools::repo_root();
    let toolchains = Registry::load()?;
    let suite = cases::load(&root.join("conformance/cases"), &toolchains)?;
    match Cli::parse().command {
        Cmd::List { full } => {
            let scope = scope(full);
            let mut lines = Vec::new();
            for (name, capability, guest, versions, kind) in suite
                .cases
                .iter()
                .map(|c| (&c.name, &c.capability, &c.guest, &c.versions, ""))
                .chain(suite.http.iter().map(|c| (&c.name, &c.capability, &c.guest, &c.versions, " (HTTP)")))
            {
                let versions = toolchains::resolve_versions(toolchains.for_guest(guest)?, versions, scope)?;
                lines.push(format!("{name:<28} {capability:<16} {guest:<16} {}{kind}", versions.join(" ")));
            }
            for (language, corpus) in &suite.corpora {
                for (name, capability, what) in corpus.units() {
                    lines.push(format!("{name:<28} {capability:<16} {language}: {what}"));
                }
            }
            // A closed pipe (`| head`) ends the listing quietly.
            let mut stdout = std::io::stdout().lock();
            for line in lines {
                if writeln!(stdout, "{line}").is_err() {
                    break;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Run(opts) => run(opts, suite, toolchains),
    }
}

fn run(opts: RunOpts, suite: cases::Suite, toolchains: Registry) -> Result<ExitCode> {
    let root = tools::repo_root();
    let scope = scope(opts.full);
    if opts.bless && (scope != Scope::Full || opts.filter.is_some() || !opts.hosts.is_empty()) {
        bail!("--bless writes the committed full matrix: run it with --full, every case (no --filter) and every host (no --hosts)");
    }
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
            hosts.push(
                HostKind::parse(h)
                    .with_context(|| format!("unknown host '{h}' (known: node, wasmtime, wasm-server)"))?,
            );
        }
        if !hosts.contains(&HostKind::Node) {
            hosts.insert(0, HostKind::Node); // the reference every other host is compared with
        }
    }
    let matches = |name: &str, capability: &str| {
        opts.filter.as_deref().is_none_or(|f| name.contains(f) || capability.contains(f))
    };
    let selected: Vec<_> = suite.cases.into_iter().filter(|c| matches(&c.name, &c.capability)).collect();
    let http_cases: Vec<_> = suite.http.into_iter().filter(|c| matches(&c.name, &c.capability)).collect();
    let mut corpora = suite.corpora;
    for (_, corpus) in corpora.iter_mut() {
        corpus.retain(&matches);
    }
    corpora.retain(|(_, c)| !c.units().is_empty());
    if selected.is_empty() && http_cases.is_empty() && corpora.is_empty() {
        bail!("no case matches the filter");
    }
    let out = if opts.out.is_absolute() { opts.out.clone() } else { root.join(&opts.out) };
    std::fs::create_dir_all(&out)?;
    let expected = expected::Expected::load(&root.join("conformance/expected-failures.toml"))?;
    let scope_note = scope_note(&toolchains, scope);
    let runner = runner::Runner::new(programs, hosts, out.clone(), toolchains, scope, expected, opts.jobs);

    // HTTP cases run one at a time beside the command cases and the corpora (which use `jobs`
    // threads): they mostly wait on sockets, timers and their deadlines, which tolerate a busy
    // machine (the full matrix passes at a load of 8 on 2 cores).
    let mut timings = Vec::new();
    let (mut matrix, corpus_rows) = std::thread::scope(|s| -> Result<_> {
        let http = s.spawn(|| {
            let start = Instant::now();
            runner.run_http(&http_cases).map(|rows| (rows, start.elapsed()))
        });
        let start = Instant::now();
        let mut matrix = runner.run(&selected)?;
        timings.push(format!("{} command rows {:.0} s", matrix.rows.len(), start.elapsed().as_secs_f64()));
        let mut corpus_rows = Vec::new();
        for (language, corpus) in &corpora {
            let start = Instant::now();
            let rows = corpus.run(&runner);
            timings.push(format!("{} {language} corpus rows {:.0} s", rows.len(), start.elapsed().as_secs_f64()));
            corpus_rows.extend(rows);
            matrix.skipped.extend(corpus.skipped());
        }
        let (http_rows, http_time) = http.join().map_err(|_| anyhow::anyhow!("the HTTP cases' thread panicked"))??;
        timings.push(format!("{} HTTP rows {:.0} s (beside the others)", http_rows.len(), http_time.as_secs_f64()));
        matrix.rows.extend(http_rows);
        Ok((matrix, corpus_rows))
    })?;
    matrix.rows.extend(corpus_rows);
    matrix.scope = scope_note;

    let md = matrix.to_markdown();
    std::fs::write(out.join("matrix.md"), &md)?;
    std::fs::write(out.join("matrix.json"), serde_json::to_string_pretty(&matrix.to_json())? + "\n")?;
    if opts.bless {
        std::fs::write(root.join("conformance/MATRIX.md"), &md)?;
    }
    println!("{md}");
    println!("matrix written to {}", out.join("matrix.md").display());
    eprintln!("conformance: {}", timings.join(", "));
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

/// What a run covers, for the matrix's heading.
fn scope_note(toolchains: &Registry, scope: Scope) -> String {
    let versions: Vec<String> =
        toolchains.iter().map(|t| format!("{} {}", t.language(), t.all_versions(scope).join(", "))).collect();
    let versions = versions.join("; ");
    match scope {
        Scope::Full => format!(
            "Full run (`ci/test --full`): cases with `versions = \"all\"` on every pinned version ({versions}), the others on the default."
        ),
        Scope::Ci => format!(
            "CI run (`ci/test`): cases with `versions = \"all\"` on the versions CI covers ({versions}; ci/versions.sh says why), the others on the default. The full matrix is conformance/MATRIX.md (`ci/test --full`)."
        ),
    }
}
