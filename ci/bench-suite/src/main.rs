//! `ci/bench`: every benchmark group, measured in one run against its baseline.
//!
//!     cargo run --release -p bench -- [GROUP…] [--runs N] [--out FILE]
//!
//! Each group prints a table with ratios to its baseline row and the issue goals it checks;
//! all groups are written together as JSON (default `ci/out/bench.json`).

mod go_direct;
mod groups;
mod in_process;
mod instructions;
mod load;
mod measure;
mod preinit;
mod report;

use anyhow::{bail, Context, Result};
use clap::Parser;
use std::path::PathBuf;

/// As in wasm-server's binary, with its settings: the in-process and instruction rows measure its
/// host as served.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(about = "Benchmarks against baselines measured in the same run")]
struct Opts {
    /// Groups to run (default: all). Known: see `--list`.
    groups: Vec<String>,
    /// Recorded runs per configuration (medians are reported).
    #[arg(long, default_value_t = 10)]
    runs: usize,
    /// Unrecorded runs first (fill caches, page in binaries).
    #[arg(long, default_value_t = 2)]
    warmup: usize,
    /// Where to write the JSON results.
    #[arg(long)]
    out: Option<PathBuf>,
    /// List the groups and exit.
    #[arg(long)]
    list: bool,
    /// Print a wasi:http component's CPU microseconds per GET of PATH, called in-process in a
    /// reused instance (see src/in_process.rs), and exit.
    #[arg(long, num_args = 2, value_names = ["COMPONENT", "PATH"])]
    handle_loop: Option<Vec<String>>,
    /// With --handle-loop: write 4 MiB of other memory before each request, as a server's
    /// network stack and load generator do between two requests (only the requests are timed).
    #[arg(long, requires = "handle_loop")]
    evict: bool,
    /// With --handle-loop: count instructions per request under valgrind's callgrind instead,
    /// split by whose code ran them (see src/instructions.rs).
    #[arg(long, requires = "handle_loop", conflicts_with = "evict")]
    instructions: bool,
    /// Internal: the process that --instructions runs under callgrind.
    #[arg(long = instructions::CHILD_FLAG, hide = true, num_args = 3, value_names = ["CWASM", "PATH", "REQUESTS"])]
    callgrind_child: Option<Vec<String>>,
}

pub struct Settings {
    pub runs: usize,
    pub warmup: usize,
    pub versions: testkit::tools::Versions,
}

fn main() -> Result<()> {
    wasm_server::alloc::configure();
    let opts = Opts::parse();
    if let Some([cwasm, path, requests]) = opts.callgrind_child.as_deref() {
        return instructions::child(
            std::path::Path::new(cwasm),
            path,
            requests.parse().context("the number of requests")?,
        );
    }
    if let Some([component, path]) = opts.handle_loop.as_deref() {
        if opts.instructions {
            let split = instructions::per_request(std::path::Path::new(component), &[path])?.remove(0);
            for (name, value) in split.metrics() {
                println!("{name:<25} {value:>9.0}");
            }
            return Ok(());
        }
        let caches = if opts.evict { in_process::Caches::Evicted } else { in_process::Caches::Warm };
        let mut us = in_process::per_request_us(std::path::Path::new(component), path, opts.runs, &[caches])?.remove(0);
        let min = us.iter().copied().fold(f64::INFINITY, f64::min);
        println!("{:.2} us per request (CPU; median of {} loops, least {min:.2})", measure::median(&mut us), us.len());
        return Ok(());
    }
    if opts.list {
        for (name, about, _) in groups::ALL {
            println!("{name:<12} {about}");
        }
        return Ok(());
    }
    let settings =
        Settings { runs: opts.runs.max(1), warmup: opts.warmup, versions: testkit::tools::Versions::load()? };
    let selected: Vec<_> = if opts.groups.is_empty() {
        groups::ALL.iter().collect()
    } else {
        let mut v = Vec::new();
        for g in &opts.groups {
            match groups::ALL.iter().find(|(name, _, _)| name == g) {
                Some(entry) => v.push(entry),
                None => bail!("unknown benchmark group '{g}' (see --list)"),
            }
        }
        v
    };
    let mut results = Vec::new();
    for (name, _, run) in selected {
        eprintln!("bench: {name} …");
        let group = run(&settings).with_context(|| format!("benchmark group {name}"))?;
        print!("{}", group.to_table());
        results.push(group);
    }
    let out = opts.out.unwrap_or_else(|| testkit::tools::repo_root().join("ci/out/bench.json"));
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let json = serde_json::json!({
        "machine": { "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0) },
        "runs": settings.runs,
        "groups": results,
    });
    std::fs::write(&out, serde_json::to_string_pretty(&json)? + "\n")
        .with_context(|| format!("writing {}", out.display()))?;
    println!("\nresults written to {}", out.display());
    Ok(())
}
