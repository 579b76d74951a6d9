//! Running every case on every host and filling the matrix: the guest built and run on its
//! reference host by its toolchain, rewritten by `wasm-server-bindgen`, run on the WASI hosts,
//! outputs compared.

use crate::cases::Case;
use crate::compare::{differences, tree, Tree};
use crate::expected::Expected;
use crate::hosts::{self, HostKind, Invocation, Programs};
use crate::matrix::{Cell, Matrix, Row, Status};
use crate::toolchains::{resolve_versions, Guest, Registry, Toolchain};
use anyhow::{Context, Result};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use testkit::process::Outcome;
use testkit::tools::{self, Scope};

/// `wasm-server-bindgen rewrite`'s documented exit status for input it does not rewrite (a
/// well-formed module of another flavour, toolchain version or ABI, a component, a WASI module
/// that runs as is, an option that does not apply): the cell is unsupported, not failed.
/// 1 is any other error, 2 a usage error.
pub const REWRITE_UNSUPPORTED: i32 = 3;

pub struct Runner {
    pub programs: Programs,
    pub hosts: Vec<HostKind>,
    pub out: PathBuf,
    pub toolchains: Registry,
    /// Which versions `versions = "all"` means.
    pub scope: Scope,
    pub expected: Expected,
    pub jobs: usize,
    /// Rewrites by input module: the rewritten path, or why rewriting failed.
    rewrites: Mutex<HashMap<(PathBuf, Rewrite), RewriteSlot>>,
}

impl Runner {
    pub fn new(
        programs: Programs,
        hosts: Vec<HostKind>,
        out: PathBuf,
        toolchains: Registry,
        scope: Scope,
        expected: Expected,
        jobs: usize,
    ) -> Runner {
        Runner {
            programs,
            hosts,
            out,
            toolchains,
            scope,
            expected,
            jobs: jobs.max(1),
            rewrites: Mutex::new(HashMap::new()),
        }
    }

    /// The toolchain of a case's guest and the versions the case runs with in this run
    /// (checked when the case files were loaded).
    pub(crate) fn units_of(
        &self,
        guest: &str,
        versions: &crate::cases::VersionSet,
    ) -> Result<(&dyn Toolchain, Vec<String>)> {
        let toolchain = self.toolchains.for_guest(guest)?;
        Ok((toolchain, resolve_versions(toolchain, versions, self.scope)?))
    }

    /// Runs every (case, toolchain version) unit on every host, `jobs` at a time.
    pub fn run(&self, cases: &[Case]) -> Result<Matrix> {
        let mut units = Vec::new();
        for case in cases {
            let (toolchain, versions) = self.units_of(&case.guest, &case.versions)?;
            for v in versions {
                units.push((case, toolchain, v));
            }
        }
        let next = Mutex::new(0usize);
        let rows = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for _ in 0..self.jobs {
                s.spawn(|| loop {
                    let i = {
                        let mut n = next.lock().unwrap();
                        *n += 1;
                        *n - 1
                    };
                    let Some((case, toolchain, version)) = units.get(i) else { break };
                    let start = Instant::now();
                    let row = self.run_unit(case, *toolchain, version);
                    eprintln!(
                        "conformance: {:<28} {:<10} {} ({:.1} s)",
                        case.name,
                        row.toolchain,
                        summary(&row),
                        start.elapsed().as_secs_f64()
                    );
                    rows.lock().unwrap().push(row);
                });
            }
        });
        let mut rows = rows.into_inner().unwrap();
        // Cases in file order; a case's versions in the toolchain's order.
        let order = |r: &Row| {
            let case_index = cases.iter().position(|c| c.name == r.case).unwrap_or(usize::MAX);
            let version_index = units.iter().position(|(c, t, v)| c.name == r.case && t.label(v) == r.toolchain);
            (case_index, version_index)
        };
        rows.sort_by_key(order);
        Ok(Matrix::new(self.hosts.clone(), rows))
    }

    fn run_unit(&self, case: &Case, toolchain: &dyn Toolchain, version: &str) -> Row {
        let mut row = Row::new(&case.capability, &case.name, toolchain.language(), &toolchain.label(version));
        let guest = match toolchain.build(&guest_dir(&case.guest), version) {
            Ok(g) => g,
            Err(e) => {
                for h in &self.hosts {
                    row.cells.insert(
                        *h,
                        cell(Status::Fail, format!("guest build failed: {}", first_line(&e.to_string())), None),
                    );
                }
                return row;
            }
        };
        let workdir = self.out.join("work").join(format!("{}@{}", case.name, row.toolchain));
        // What the guest sees as argv[0] on every host: the reference glue passes the path of
        // the module it loads, so the other hosts are given the same string.
        let argv0 = guest.wasm.display().to_string();
        let mut env: BTreeMap<String, String> =
            toolchain.glue_env().into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        env.extend(case.env.clone());
        // The reference run.
        let reference = seed(&workdir, case).and_then(|_| {
            toolchain.run_reference(&self.programs, &guest, &self.invocation(case, &argv0, &env, &workdir))
        });
        let reference = match reference {
            Ok(outcome) => {
                let files = tree(&workdir);
                let problem = check_expectations(case, &outcome);
                let status = if problem.is_some() { Status::Fail } else { Status::Pass };
                row.cells.insert(HostKind::Node, cell(status, problem.unwrap_or_default(), Some(&outcome)));
                Some((outcome, files))
            }
            Err(e) => {
                row.cells.insert(HostKind::Node, cell(Status::Fail, first_line(&format!("{e:#}")), None));
                None
            }
        };

        for host in self.hosts.iter().copied().filter(|h| *h != HostKind::Node) {
            let c = match self.run_rewritten(
                host,
                case,
                &guest,
                &self.invocation(case, &argv0, &env, &workdir),
                reference.as_ref(),
            ) {
                Ok(c) => c,
                Err(e) => cell(Status::Fail, first_line(&format!("{e:#}")), None),
            };
            row.cells.insert(host, c);
        }
        self.mark_known_failures(&mut row);
        row
    }

    /// Failed cells that expected-failures.toml explains get its reason.
    pub(crate) fn mark_known_failures(&self, row: &mut Row) {
        for (host, c) in row.cells.iter_mut() {
            if c.status == Status::Fail {
                c.known = self.expected.reason(&row.case, &row.toolchain, *host);
            }
        }
    }

    fn run_rewritten(
        &self,
        host: HostKind,
        case: &Case,
        guest: &Guest,
        invocation: &Invocation<'_>,
        reference: Option<&(Outcome, Tree)>,
    ) -> Result<Cell> {
        let component = match self.rewrite(&guest.wasm) {
            Ok(p) => p,
            Err(refusal) => return Ok(rewrite_failed(refusal)),
        };
        let Some((ref_outcome, ref_tree)) = reference else {
            return Ok(cell(Status::Fail, "no reference run to compare with".into(), None));
        };
        seed(invocation.workdir, case)?;
        let outcome = match host {
            HostKind::Wasmtime => hosts::run_wasmtime(&self.programs, &component, invocation)?,
            HostKind::WasmServer => match &self.programs.wasm_server {
                Some(server) => hosts::run_wasm_server(server, &component, invocation)?,
                None => return Ok(cell(Status::Unsupported, "wasm-server is not built".into(), None)),
            },
            HostKind::Node => unreachable!("node is the reference"),
        };
        let files = tree(invocation.workdir);
        Ok(match differences(&case.compare, (ref_outcome, ref_tree), (&outcome, &files)) {
            None => cell(Status::Pass, String::new(), Some(&outcome)),
            Some(d) => cell(Status::Fail, d, Some(&outcome)),
        })
    }

    fn invocation<'a>(
        &self,
        case: &'a Case,
        argv0: &'a str,
        env: &'a BTreeMap<String, String>,
        workdir: &'a Path,
    ) -> Invocation<'a> {
        Invocation {
            argv0,
            args: &case.args,
            env,
            workdir,
            extra_dirs: &[],
            stdin: case.stdin.as_deref().map(str::as_bytes),
            timeout: Duration::from_secs(case.timeout_secs),
        }
    }

    /// `wasm-server-bindgen rewrite`, once per module.
    pub(crate) fn rewrite(&self, wasm: &Path) -> Result<PathBuf, Refusal> {
        self.rewrite_as(wasm, Rewrite::Default)
    }

    /// `wasm` rewritten the given way, once per run however many cases ask.
    pub(crate) fn rewrite_as(&self, wasm: &Path, how: Rewrite) -> Result<PathBuf, Refusal> {
        let slot = self.rewrites.lock().unwrap().entry((wasm.to_path_buf(), how)).or_default().clone();
        slot.get_or_init(|| {
            let name = wasm.file_name().unwrap().to_string_lossy();
            let (name, args): (String, &[&str]) = match how {
                Rewrite::Default => (name.into_owned(), &[]),
                Rewrite::StrictProxy => (format!("strict-proxy-{name}"), &["--strict-proxy"]),
            };
            let out = self.out.join("rewritten").join(name);
            let failed = |message: String| Refusal { unsupported: false, message };
            std::fs::create_dir_all(out.parent().unwrap()).map_err(|e| failed(e.to_string()))?;
            let result = testkit::process::run(
                Command::new(&self.programs.bindgen).arg("rewrite").arg(wasm).arg("-o").arg(&out).args(args),
                None,
                Duration::from_secs(600),
            )
            .map_err(|e| failed(format!("{e:#}")))?;
            rewrite_status(result.code, &result.stderr_str()).map(|()| out)
        })
        .clone()
    }
}

/// One rewrite's result, computed by the first case that needs it.
type RewriteSlot = Arc<OnceLock<Result<PathBuf, Refusal>>>;

/// How a guest is rewritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Rewrite {
    Default,
    /// `--strict-proxy`: imports only the wasi:http/proxy world's interfaces.
    StrictProxy,
}

/// A rewrite that did not happen, and whether the rewriter said the input is unsupported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// The rewriter exited [`REWRITE_UNSUPPORTED`].
    pub unsupported: bool,
    /// The first line of what it said.
    pub message: String,
}

/// Reads `rewrite`'s exit status: 0 rewritten; [`REWRITE_UNSUPPORTED`] an input it does not
/// rewrite; anything else (or a signal) a failure. Its words are kept for the matrix, never
/// interpreted.
pub(crate) fn rewrite_status(code: Option<i32>, stderr: &str) -> Result<(), Refusal> {
    match code {
        Some(0) => Ok(()),
        Some(REWRITE_UNSUPPORTED) => Err(Refusal { unsupported: true, message: first_line(stderr) }),
        Some(code) => {
            Err(Refusal { unsupported: false, message: format!("{} (exit code {code})", first_line(stderr)) })
        }
        None => Err(Refusal { unsupported: false, message: format!("killed: {}", first_line(stderr)) }),
    }
}

/// The cell of a rewrite that did not happen: unsupported when the rewriter said so by its exit
/// status, failed otherwise (a broken setup or a rewriter bug).
pub(crate) fn rewrite_failed(refusal: Refusal) -> Cell {
    cell(
        if refusal.unsupported { Status::Unsupported } else { Status::Fail },
        format!("rewrite: {}", refusal.message),
        None,
    )
}

/// The folder of a guest path (`go/cli`) under `conformance/guests/`.
pub(crate) fn guest_dir(guest: &str) -> PathBuf {
    tools::repo_root().join("conformance/guests").join(guest)
}

pub(crate) fn cell(status: Status, detail: String, outcome: Option<&Outcome>) -> Cell {
    Cell { status, detail, wall_ms: outcome.map(|o| (o.wall.as_secs_f64() * 1e4).round() / 10.0), known: None }
}

/// A fresh work folder holding the case's seed files.
fn seed(dir: &Path, case: &Case) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir)?;
    for (name, content) in &case.files {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&p, content)?;
    }
    Ok(())
}

fn check_expectations(case: &Case, outcome: &Outcome) -> Option<String> {
    if outcome.timed_out {
        return Some(format!("reference run {}", outcome.status_line()));
    }
    if let Some(code) = case.expect_exit_code {
        if outcome.code != Some(code) {
            return Some(format!(
                "reference run: expected exit code {code}, got {}: {}",
                outcome.status_line(),
                first_line(&outcome.stderr_str())
            ));
        }
    }
    if let Some(fragment) = &case.expect_stdout_contains {
        if !outcome.stdout_str().contains(fragment.as_str()) {
            return Some(format!("reference stdout lacks {fragment:?}"));
        }
    }
    None
}

pub(crate) fn first_line(s: &str) -> String {
    let line = s.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
    let line = line.strip_prefix("error: ").unwrap_or(line);
    if line.chars().count() > 300 {
        line.chars().take(300).collect::<String>() + "…"
    } else {
        line.to_string()
    }
}

pub(crate) fn summary(row: &Row) -> String {
    row.cells
        .iter()
        .map(|(h, c)| {
            format!(
                "{}={}",
                serde_json::to_value(h).unwrap().as_str().unwrap_or(""),
                serde_json::to_value(c.status).unwrap().as_str().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rewriters_exit_status_decides_unsupported_not_its_words() {
        assert_eq!(rewrite_status(Some(0), ""), Ok(()));
        let unsupported = rewrite_status(Some(REWRITE_UNSUPPORTED), "error: anything at all\nmore").unwrap_err();
        assert!(unsupported.unsupported);
        assert_eq!(unsupported.message, "anything at all");
        // The words that used to mean "unsupported" do not, with another status.
        let failed = rewrite_status(Some(1), "error: rewrite supports: gojs").unwrap_err();
        assert!(!failed.unsupported);
        assert_eq!(failed.message, "rewrite supports: gojs (exit code 1)");
        assert!(!rewrite_status(None, "").unwrap_err().unsupported);
        assert_eq!(rewrite_failed(unsupported).status, Status::Unsupported);
        assert_eq!(rewrite_failed(failed).status, Status::Fail);
    }
}
