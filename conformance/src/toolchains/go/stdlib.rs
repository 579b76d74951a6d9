//! Go's own standard-library tests, the Go toolchain's corpus: `go test -c` for GOOS=js, run
//! with `-test.v` under node (as `go test` runs them, through go_js_wasm_exec) and rewritten on
//! the WASI hosts. A package passes on a rewritten host when every test ends the same way there
//! (PASS, FAIL or SKIP) as under node, and the exit code matches. They run with the default
//! Go release only.

use super::run_node;
use crate::hosts::{self, HostKind, Invocation};
use crate::matrix::{Cell, Row, Status};
use crate::runner::{first_line, rewrite_failed, summary, Runner};
use crate::toolchains::Corpus;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use testkit::guests::{go_test_binary, Goos};
use testkit::process::Outcome;
use testkit::tools;

/// `[corpus.go]` in a case file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StdTests {
    /// Standard-library import paths.
    pub packages: Vec<String>,
    /// Test binary flags on every host (before any -test.skip).
    #[serde(default)]
    pub flags: Vec<String>,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Tests skipped on every host, each with the reason.
    #[serde(default)]
    pub skip: Vec<Skip>,
}

fn default_timeout() -> u64 {
    1200
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Skip {
    pub package: String,
    /// A -test.skip pattern (Go regexp; `/` separates subtest levels).
    pub test: String,
    pub reason: String,
}

/// How each test ended, by name (subtests as `Parent/child`).
pub type Results = BTreeMap<String, &'static str>;

/// Reads `--- PASS: Name (0.00s)` lines (any indentation) of `-test.v` output.
pub fn parse_results(stdout: &str) -> Results {
    let mut out = Results::new();
    for line in stdout.lines() {
        let line = line.trim_start();
        for (prefix, status) in [("--- PASS: ", "PASS"), ("--- FAIL: ", "FAIL"), ("--- SKIP: ", "SKIP")] {
            if let Some(rest) = line.strip_prefix(prefix) {
                if let Some(name) = rest.split_whitespace().next() {
                    out.insert(name.to_string(), status);
                }
            }
        }
    }
    out
}

fn tally(r: &Results) -> String {
    let count = |s: &str| r.values().filter(|v| **v == s).count();
    format!("{} passed, {} failed, {} skipped", count("PASS"), count("FAIL"), count("SKIP"))
}

/// Tests that ended differently, as `Name (node X, here Y)`.
pub fn differing(reference: &Results, other: &Results) -> Vec<String> {
    let mut names: Vec<&String> = reference.keys().chain(other.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|n| reference.get(*n) != other.get(*n))
        .map(|n| {
            format!(
                "{n} (node {}, here {})",
                reference.get(n).copied().unwrap_or("absent"),
                other.get(n).copied().unwrap_or("absent")
            )
        })
        .collect()
}

/// The standard-library packages of a `[corpus.go]` table, built with `version`.
pub struct Stdlib {
    pub config: StdTests,
    pub version: String,
}

const CAPABILITY: &str = "go test (stdlib)";

impl Corpus for Stdlib {
    fn units(&self) -> Vec<(String, String, String)> {
        self.config
            .packages
            .iter()
            .map(|p| (format!("std/{p}"), CAPABILITY.to_string(), format!("go test -c {p}")))
            .collect()
    }

    fn retain(&mut self, keep: &dyn Fn(&str, &str) -> bool) {
        self.config.packages.retain(|p| keep(&format!("std/{p}"), CAPABILITY));
        let packages = &self.config.packages;
        self.config.skip.retain(|s| packages.contains(&s.package));
    }

    /// One matrix row per package, `runner.jobs` at a time.
    fn run(&self, runner: &Runner) -> Vec<Row> {
        let packages = &self.config.packages;
        let next = Mutex::new(0usize);
        let rows = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for _ in 0..runner.jobs {
                s.spawn(|| loop {
                    let i = {
                        let mut n = next.lock().unwrap();
                        *n += 1;
                        *n - 1
                    };
                    let Some(package) = packages.get(i) else { break };
                    let start = Instant::now();
                    let row = self.run_package(runner, package);
                    eprintln!(
                        "conformance: go test {package:<20} {} ({:.1} s)",
                        summary(&row),
                        start.elapsed().as_secs_f64()
                    );
                    rows.lock().unwrap().push(row);
                });
            }
        });
        let mut rows = rows.into_inner().unwrap();
        rows.sort_by_key(|r| packages.iter().position(|p| r.case == format!("std/{p}")));
        rows
    }

    fn skipped(&self) -> Vec<(String, String)> {
        self.config.skip.iter().map(|s| (format!("go test {}: {}", s.package, s.test), s.reason.clone())).collect()
    }
}

impl Stdlib {
    fn run_package(&self, runner: &Runner, package: &str) -> Row {
        let config = &self.config;
        let version = self.version.clone();
        let mut row = Row::new(CAPABILITY, &format!("std/{package}"), "go", &format!("go{version}"));
        let fail_all = |row: &mut Row, why: String| {
            for h in &runner.hosts {
                row.cells.insert(*h, cell(Status::Fail, why.clone(), None));
            }
        };
        let wasm = match go_test_binary(package, Goos::Js, &version) {
            Ok(w) => w,
            Err(e) => {
                fail_all(&mut row, format!("go test -c failed: {}", first_line(&format!("{e:#}"))));
                return row;
            }
        };
        let (goroot, glue) = match (tools::goroot(&version), tools::wasm_exec_node(&version)) {
            (Ok(r), Ok(g)) => (r, g),
            (Err(e), _) | (_, Err(e)) => {
                fail_all(&mut row, format!("{e:#}"));
                return row;
            }
        };
        let workdir = goroot.join("src").join(package);
        let mut args = config.flags.clone();
        let skips: Vec<&str> = config.skip.iter().filter(|s| s.package == package).map(|s| s.test.as_str()).collect();
        if !skips.is_empty() {
            args.push(format!("-test.skip={}", skips.join("|")));
        }
        // Tests find their temporary folders through TMPDIR (which wasm_exec_node.js sets) and
        // their sources through the working directory; the WASI hosts see GOROOT, /tmp and
        // /etc at the same paths.
        let env: BTreeMap<String, String> =
            [("HOME", "/tmp"), ("TMPDIR", "/tmp"), ("GOROOT", goroot.to_str().unwrap_or_default())]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        // Tests read system files as under node: /etc (os), /usr/bin (os), /usr/share/zoneinfo
        // (time); procfs has no WASI counterpart (see the skips).
        let extra_dirs: Vec<PathBuf> =
            [goroot.clone(), PathBuf::from("/tmp"), PathBuf::from("/etc"), PathBuf::from("/usr")]
                .into_iter()
                .filter(|d| d.is_dir())
                .collect();
        let argv0 = wasm.display().to_string();
        let inv = Invocation {
            argv0: &argv0,
            args: &args,
            env: &env,
            workdir: &workdir,
            extra_dirs: &extra_dirs,
            stdin: None,
            timeout: Duration::from_secs(config.timeout_secs),
        };

        let reference = match run_node(&runner.programs, &glue, &inv) {
            Ok(o) => o,
            Err(e) => {
                fail_all(&mut row, format!("node: {e:#}"));
                return row;
            }
        };
        let ref_results = parse_results(&reference.stdout_str());
        let status = if reference.code == Some(0) { Status::Pass } else { Status::Fail };
        let mut detail = tally(&ref_results);
        if status == Status::Fail {
            detail = format!("{}; {detail}", reference.status_line());
        }
        row.cells.insert(HostKind::Node, cell(status, detail, Some(&reference)));

        for host in runner.hosts.iter().copied().filter(|h| *h != HostKind::Node) {
            let c = match runner.rewrite(&wasm) {
                Err(refusal) => rewrite_failed(refusal),
                Ok(component) => {
                    let outcome = match host {
                        HostKind::Wasmtime => hosts::run_wasmtime(&runner.programs, &component, &inv),
                        HostKind::WasmServer => match &runner.programs.wasm_server {
                            Some(s) => hosts::run_wasm_server(s, &component, &inv),
                            None => {
                                row.cells
                                    .insert(host, cell(Status::Unsupported, "wasm-server is not built".into(), None));
                                continue;
                            }
                        },
                        HostKind::Node => unreachable!(),
                    };
                    match outcome {
                        Err(e) => cell(Status::Fail, format!("{e:#}"), None),
                        Ok(o) => compare(&reference, &ref_results, &o),
                    }
                }
            };
            row.cells.insert(host, c);
        }
        runner.mark_known_failures(&mut row);
        row
    }
}

fn compare(reference: &Outcome, ref_results: &Results, other: &Outcome) -> Cell {
    let results = parse_results(&other.stdout_str());
    let diff = differing(ref_results, &results);
    if diff.is_empty() && reference.code == other.code && !other.timed_out {
        return cell(Status::Pass, String::new(), Some(other));
    }
    let mut why = Vec::new();
    if reference.code != other.code || other.timed_out {
        why.push(format!("exit: {} vs {}", reference.status_line(), other.status_line()));
    }
    if !diff.is_empty() {
        let shown: Vec<&str> = diff.iter().take(8).map(String::as_str).collect();
        why.push(format!(
            "{} test{} differ: {}{}",
            diff.len(),
            if diff.len() == 1 { "" } else { "s" },
            shown.join(", "),
            if diff.len() > shown.len() { ", …" } else { "" }
        ));
    }
    if results.is_empty() {
        why.push(format!("no test results; stderr: {}", first_line(&other.stderr_str())));
    }
    cell(Status::Fail, why.join("; "), Some(other))
}

fn cell(status: Status, detail: String, outcome: Option<&Outcome>) -> Cell {
    crate::runner::cell(status, detail, outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_results() {
        let out = "=== RUN   TestA\n--- PASS: TestA (0.00s)\n    --- SKIP: TestB/sub (0.01s)\n--- FAIL: TestC (1.00s)\nPASS\n";
        let r = parse_results(out);
        assert_eq!(r.get("TestA"), Some(&"PASS"));
        assert_eq!(r.get("TestB/sub"), Some(&"SKIP"));
        assert_eq!(r.get("TestC"), Some(&"FAIL"));
        let mut other = r.clone();
        other.insert("TestC".into(), "PASS");
        assert_eq!(differing(&r, &other), vec!["TestC (node FAIL, here PASS)".to_string()]);
    }
}
