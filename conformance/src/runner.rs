//! Building guests, rewriting them, running every case on every host and filling the matrix.

use crate::cases::{Case, GoVersions};
use crate::compare::{differences, tree, Tree};
use crate::expected::Expected;
use crate::hosts::{self, HostKind, Invocation, Programs};
use crate::matrix::{Cell, Matrix, Row, Status};
use anyhow::{bail, Context, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use testkit::guests::{go_build, Goos};
use testkit::process::Outcome;
use testkit::tools::{self, Versions};

pub struct Runner {
    pub programs: Programs,
    pub hosts: Vec<HostKind>,
    pub out: PathBuf,
    pub versions: Versions,
    pub expected: Expected,
    pub jobs: usize,
    /// Rewrites by input module: the rewritten path, or why rewriting failed.
    rewrites: Mutex<HashMap<(PathBuf, Rewrite), RewriteSlot>>,
}

/// A built guest: the module its native host runs and how to run it there.
pub struct Guest {
    pub language: &'static str,
    pub toolchain: String,
    pub wasm: PathBuf,
    /// Go: the `wasm_exec_node.js` of the release that built it.
    pub glue: PathBuf,
}

impl Runner {
    pub fn new(programs: Programs, hosts: Vec<HostKind>, out: PathBuf, expected: Expected, jobs: usize) -> Result<Runner> {
        Ok(Runner {
            programs,
            hosts,
            out,
            versions: Versions::load()?,
            expected,
            jobs: jobs.max(1),
            rewrites: Mutex::new(HashMap::new()),
        })
    }

    /// Runs every (case, toolchain version) unit on every host, `jobs` at a time.
    pub fn run(&self, cases: &[Case]) -> Result<Matrix> {
        let mut units = Vec::new();
        for case in cases {
            for v in self.go_versions(&case.go_versions) {
                units.push((case, v));
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
                    let Some((case, version)) = units.get(i) else { break };
                    let row = self.run_unit(case, version);
                    eprintln!("conformance: {:<28} {:<10} {}", case.name, version, summary(&row));
                    rows.lock().unwrap().push(row);
                });
            }
        });
        let mut rows = rows.into_inner().unwrap();
        let order = |r: &Row| {
            let case_index = cases.iter().position(|c| c.name == r.case).unwrap_or(usize::MAX);
            (case_index, r.toolchain.clone())
        };
        rows.sort_by_key(order);
        Ok(Matrix { hosts: self.hosts.clone(), rows, skipped: Vec::new() })
    }

    /// The Go releases a case runs with.
    pub(crate) fn go_versions(&self, which: &GoVersions) -> Vec<String> {
        match which {
            GoVersions::Default => vec![self.versions.go.clone()],
            GoVersions::All => self.versions.go_all.clone(),
        }
    }

    fn run_unit(&self, case: &Case, version: &str) -> Row {
        let mut row = Row::go(&case.capability, &case.name, version);
        let guest = match self.build(case, version) {
            Ok(g) => g,
            Err(e) => {
                for h in &self.hosts {
                    row.cells.insert(*h, cell(Status::Fail, format!("guest build failed: {}", first_line(&e.to_string())), None));
                }
                return row;
            }
        };
        row.language = guest.language.into();
        row.toolchain = guest.toolchain.clone();
        let workdir = self.out.join("work").join(format!("{}@{}", case.name, guest.toolchain));
        let argv0 = guest.wasm.display().to_string();
        // The reference run.
        let reference = seed(&workdir, case).and_then(|_| {
            let invocation = self.invocation(case, &argv0, &workdir);
            hosts::run_node_go(&self.programs, &guest.glue, &invocation)
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
            let c = match self.run_rewritten(host, case, &guest, &argv0, &workdir, reference.as_ref()) {
                Ok(c) => c,
                Err(e) => cell(Status::Fail, first_line(&format!("{e:#}")), None),
            };
            row.cells.insert(host, c);
        }
        for (host, c) in row.cells.iter_mut() {
            if c.status == Status::Fail {
                c.known = self.expected.reason(&case.name, &row.toolchain, *host);
            }
        }
        row
    }

    fn run_rewritten(
        &self,
        host: HostKind,
        case: &Case,
        guest: &Guest,
        argv0: &str,
        workdir: &Path,
        reference: Option<&(Outcome, Tree)>,
    ) -> Result<Cell> {
        let component = match self.rewrite(&guest.wasm) {
            Ok(p) => p,
            Err(why) => return Ok(rewrite_failed(why)),
        };
        let Some((ref_outcome, ref_tree)) = reference else {
            return Ok(cell(Status::Fail, "no reference run to compare with".into(), None));
        };
        seed(workdir, case)?;
        let invocation = self.invocation(case, argv0, workdir);
        let outcome = match host {
            HostKind::Wasmtime => hosts::run_wasmtime(&self.programs, &component, &invocation)?,
            HostKind::WasmServer => match &self.programs.wasm_server {
                Some(server) => hosts::run_wasm_server(server, &component, &invocation)?,
                None => return Ok(cell(Status::Unsupported, "wasm-server is not built".into(), None)),
            },
            HostKind::Node => unreachable!("node is the reference"),
        };
        let files = tree(workdir);
        Ok(match differences(&case.compare, (ref_outcome, ref_tree), (&outcome, &files)) {
            None => cell(Status::Pass, String::new(), Some(&outcome)),
            Some(d) => cell(Status::Fail, d, Some(&outcome)),
        })
    }

    fn invocation<'a>(&self, case: &'a Case, argv0: &'a str, workdir: &'a Path) -> Invocation<'a> {
        Invocation {
            argv0,
            args: &case.args,
            env: &case.env,
            workdir,
            extra_dirs: &[],
            stdin: case.stdin.as_deref().map(str::as_bytes),
            timeout: Duration::from_secs(case.timeout_secs),
        }
    }

    fn build(&self, case: &Case, version: &str) -> Result<Guest> {
        let dir = tools::repo_root().join("conformance/guests").join(&case.guest);
        match case.guest.split('/').next() {
            Some("go") => Ok(Guest {
                language: "go",
                toolchain: format!("go{version}"),
                wasm: go_build(&dir, Goos::Js, version)?,
                glue: tools::wasm_exec_node(version)?,
            }),
            _ => bail!("{}: guest '{}' is of a language the runner does not know", case.source.display(), case.guest),
        }
    }

    /// `wasm-server-bindgen rewrite`, once per module.
    pub(crate) fn rewrite(&self, wasm: &Path) -> Result<PathBuf, String> {
        self.rewrite_as(wasm, Rewrite::Default)
    }

    /// `wasm` rewritten the given way, once per run however many cases ask.
    pub(crate) fn rewrite_as(&self, wasm: &Path, how: Rewrite) -> Result<PathBuf, String> {
        let slot = self.rewrites.lock().unwrap().entry((wasm.to_path_buf(), how)).or_default().clone();
        slot.get_or_init(|| {
            let name = wasm.file_name().unwrap().to_string_lossy();
            let (name, args): (String, &[&str]) = match how {
                Rewrite::Default => (name.into_owned(), &[]),
                Rewrite::StrictProxy => (format!("strict-proxy-{name}"), &["--strict-proxy"]),
            };
            let out = self.out.join("rewritten").join(name);
            std::fs::create_dir_all(out.parent().unwrap()).map_err(|e| e.to_string())?;
            let result = testkit::process::run(
                Command::new(&self.programs.bindgen).arg("rewrite").arg(wasm).arg("-o").arg(&out).args(args),
                None,
                Duration::from_secs(600),
            )
            .map_err(|e| format!("{e:#}"))?;
            if result.code == Some(0) {
                Ok(out)
            } else {
                Err(first_line(&result.stderr_str()))
            }
        })
        .clone()
    }
}

/// One rewrite's result, computed by the first case that needs it.
type RewriteSlot = Arc<OnceLock<Result<PathBuf, String>>>;

/// How a guest is rewritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Rewrite {
    Default,
    /// `--strict-proxy`: imports only the wasi:http/proxy world's interfaces.
    StrictProxy,
}

/// A rewrite that did not happen: unsupported when the rewriter refused the input as a flavour
/// or ABI it does not handle, failed otherwise (a broken setup or a rewriter bug).
pub(crate) fn rewrite_failed(why: String) -> Cell {
    let unsupported = why.contains("rewrite supports:")
        || why.contains("does not have the Go GOOS=js ABI")
        || why.contains("is not implemented yet");
    cell(if unsupported { Status::Unsupported } else { Status::Fail }, format!("rewrite: {why}"), None)
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
            return Some(format!("reference run: expected exit code {code}, got {}: {}", outcome.status_line(), first_line(&outcome.stderr_str())));
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
        .map(|(h, c)| format!("{}={}", serde_json::to_value(h).unwrap().as_str().unwrap_or(""), serde_json::to_value(c.status).unwrap().as_str().unwrap_or("")))
        .collect::<Vec<_>>()
        .join(" ")
}
