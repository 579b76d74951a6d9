//! The conformance matrix: one row per case (× toolchain version), one column per host; written
//! as JSON (machine-readable) and markdown (for people).

use crate::hosts::HostKind;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Reference: ran and met the case's own expectations. Rewritten: same outputs as node.
    Pass,
    /// Reference: did not run as the case expects. Rewritten: outputs differ, or it failed.
    Fail,
    /// Rewritten: the rewriter or host does not support this guest (the reason says what).
    Unsupported,
}

impl Status {
    fn mark(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "**FAIL**",
            Status::Unsupported => "unsupported",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub status: Status,
    /// Why it failed or is unsupported; empty on pass.
    pub detail: String,
    pub wall_ms: Option<f64>,
    /// A failure listed in conformance/expected-failures.toml, with the reason given there.
    pub known: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub capability: String,
    pub case: String,
    pub language: String,
    pub toolchain: String,
    pub cells: BTreeMap<HostKind, Cell>,
}

impl Row {
    /// An empty row for a case of `language` built with `toolchain` (e.g. `go1.27.3`).
    pub fn new(capability: &str, case: &str, language: &str, toolchain: &str) -> Row {
        Row {
            capability: capability.into(),
            case: case.into(),
            language: language.into(),
            toolchain: toolchain.into(),
            cells: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Matrix {
    pub hosts: Vec<HostKind>,
    pub rows: Vec<Row>,
    /// Tests left out on every host, as (what, why): part of what the matrix claims.
    pub skipped: Vec<(String, String)>,
    /// What the run covered (which toolchain versions), said under the title.
    pub scope: String,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub unsupported: usize,
    pub known_failures: usize,
}

impl Matrix {
    pub fn new(hosts: Vec<HostKind>, rows: Vec<Row>) -> Matrix {
        Matrix { hosts, rows, skipped: Vec::new(), scope: String::new() }
    }

    pub fn counts(&self) -> BTreeMap<HostKind, Counts> {
        let mut out: BTreeMap<HostKind, Counts> = BTreeMap::new();
        for row in &self.rows {
            for (host, cell) in &row.cells {
                let c = out.entry(*host).or_default();
                match (cell.status, &cell.known) {
                    (Status::Pass, _) => c.pass += 1,
                    (Status::Fail, Some(_)) => c.known_failures += 1,
                    (Status::Fail, None) => c.fail += 1,
                    (Status::Unsupported, _) => c.unsupported += 1,
                }
            }
        }
        out
    }

    /// Failures not explained in expected-failures.toml.
    pub fn unexpected_failures(&self) -> Vec<(&Row, HostKind, &Cell)> {
        self.rows
            .iter()
            .flat_map(|r| r.cells.iter().map(move |(h, c)| (r, *h, c)))
            .filter(|(_, _, c)| c.status == Status::Fail && c.known.is_none())
            .collect()
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "scope": self.scope, "hosts": self.hosts, "summary": self.counts(), "rows": self.rows, "skipped": self.skipped })
    }

    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# Conformance matrix\n");
        let _ = writeln!(
            s,
            "Each case runs on its native JS host (node with the toolchain's own glue) and, rewritten by\n\
             `wasm-server-bindgen`, on WASI hosts; a rewritten cell passes when stdout, stderr, exit\n\
             code and files match node's. See conformance/README.md.\n"
        );
        if !self.scope.is_empty() {
            let _ = writeln!(s, "{}\n", self.scope);
        }
        let _ = writeln!(s, "| host | pass | fail | known failures | unsupported |");
        let _ = writeln!(s, "|---|---|---|---|---|");
        for (host, c) in self.counts() {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                host.label(),
                c.pass,
                c.fail,
                c.known_failures,
                c.unsupported
            );
        }
        let _ = write!(s, "\n| capability | case | toolchain |");
        for h in &self.hosts {
            let _ = write!(s, " {} |", h.label());
        }
        let _ = write!(s, "\n|---|---|---|");
        for _ in &self.hosts {
            let _ = write!(s, "---|");
        }
        let _ = writeln!(s);
        let mut notes = Vec::new();
        for row in &self.rows {
            let _ = write!(s, "| {} | {} | {} |", row.capability, row.case, row.toolchain);
            for h in &self.hosts {
                match row.cells.get(h) {
                    None => {
                        let _ = write!(s, " – |");
                    }
                    Some(cell) => {
                        let mut text = cell.status.mark().to_string();
                        if cell.known.is_some() {
                            text = "known failure".into();
                        }
                        if !cell.detail.is_empty() || cell.known.is_some() {
                            notes.push(format!(
                                "{}. {} / {} on {}: {}{}",
                                notes.len() + 1,
                                row.case,
                                row.toolchain,
                                h.label(),
                                cell.detail.replace('|', "\\|"),
                                cell.known.as_ref().map(|k| format!(" — known: {k}")).unwrap_or_default()
                            ));
                            text += &format!(" [{}]", notes.len());
                        }
                        let _ = write!(s, " {text} |");
                    }
                }
            }
            let _ = writeln!(s);
        }
        if !notes.is_empty() {
            let _ = writeln!(s, "\n## Notes\n");
            for n in notes {
                let _ = writeln!(s, "{n}");
            }
        }
        if !self.skipped.is_empty() {
            let _ = writeln!(s, "\n## Skipped on every host\n");
            for (what, why) in &self.skipped {
                let _ = writeln!(s, "- {what}: {why}");
            }
        }
        s
    }
}
