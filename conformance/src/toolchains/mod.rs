//! Toolchains: one module per guest language, everything the runner knows about that language.
//!
//! A toolchain names its versions (the default, what `versions = "all"` means in CI and in the
//! full run), builds a case's guest, and runs the guest unmodified on its native reference host
//! (a command, or an HTTP server), whose outputs every rewritten host is compared with. It may
//! also bring its own test corpus (Go: the standard library's tests). The rest of the runner
//! (rewriting, the WASI hosts, comparing, the matrix) is the same for every language.
//!
//! A case's guest path starts with its toolchain's language (`go/cli`): [`Registry::for_guest`]
//! finds the toolchain from it. Adding a language is a module here, an entry in
//! [`Registry::load`], guests under `conformance/guests/<language>/` and a case file.

pub mod go;

use crate::cases::VersionSet;
use crate::hosts::{Invocation, Programs};
use crate::matrix::Row;
use crate::runner::Runner;
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use testkit::process::Outcome;
use testkit::tools::Scope;

/// A guest built by its toolchain.
#[derive(Debug, Clone)]
pub struct Guest {
    /// The module the reference host runs and the rewriter reads.
    pub wasm: PathBuf,
    /// The toolchain version that built it (`1.27.3`).
    pub version: String,
}

/// How the reference host serves an HTTP guest.
pub struct ServeReference<'a> {
    /// The host answers 504 itself when a handler takes longer.
    pub handler_timeout: Duration,
    /// The handler's environment.
    pub env: &'a BTreeMap<String, String>,
}

/// What the reference server prints once it listens, followed by its address; every host the
/// HTTP cases start says it (wasmtime serve, wasm-server, the toolchains' reference servers).
pub const SERVING_MARKER: &str = "Serving HTTP on http://";

/// One guest language and its toolchain.
pub trait Toolchain: Send + Sync {
    /// The language: the first segment of its guests' paths and the matrix's language.
    fn language(&self) -> &'static str;

    /// The version a case that names none runs with.
    fn default_version(&self) -> &str;

    /// What `versions = "all"` means in `scope`: in CI, the versions chosen to cover what
    /// changed between releases (oldest, newest, ABI and glue changes); in the full run, all.
    fn all_versions(&self, scope: Scope) -> &[String];

    /// The matrix's toolchain column for a version (Go: `go1.27.3`).
    fn label(&self, version: &str) -> String;

    /// Builds the guest whose sources are in `dir` with `version` (cached by content).
    fn build(&self, dir: &Path, version: &str) -> Result<Guest>;

    /// Variables the reference host's glue adds to a command guest's environment (unless the
    /// case sets them): every rewritten host is given them too.
    fn glue_env(&self) -> Vec<(&'static str, &'static str)> {
        Vec::new()
    }

    /// Runs a command guest, unmodified, on the native reference host.
    fn run_reference(&self, programs: &Programs, guest: &Guest, inv: &Invocation<'_>) -> Result<Outcome>;

    /// The command that serves an HTTP guest, unmodified, on the native reference host; it
    /// listens on a free loopback port and prints [`SERVING_MARKER`] and its address.
    fn serve_reference(&self, programs: &Programs, guest: &Guest, serve: &ServeReference<'_>) -> Result<Command>;

    /// The toolchain's own test corpus, read from its `[corpus.<language>]` table.
    fn corpus(&self, table: toml::Value) -> Result<Box<dyn Corpus>> {
        let _ = table;
        bail!("the {} toolchain has no test corpus", self.language())
    }
}

/// A toolchain's own tests run as conformance (Go: `go test -c` of standard-library packages):
/// one matrix row per unit.
pub trait Corpus: Send + Sync {
    /// Every unit: (row name, capability, what it runs), for `list` and `--filter`.
    fn units(&self) -> Vec<(String, String, String)>;
    /// Keeps the units whose (row name, capability) `keep` accepts.
    fn retain(&mut self, keep: &dyn Fn(&str, &str) -> bool);
    /// Runs every unit on every host of the runner.
    fn run(&self, runner: &Runner) -> Vec<Row>;
    /// Tests left out on every host, as (what, why), for the matrix.
    fn skipped(&self) -> Vec<(String, String)>;
}

/// Every toolchain the runner knows, by language.
pub struct Registry {
    toolchains: Vec<Box<dyn Toolchain>>,
}

impl Registry {
    /// Every toolchain, with the pinned versions of `ci/versions.sh`.
    pub fn load() -> Result<Registry> {
        Ok(Registry { toolchains: vec![Box::new(go::Go::load()?)] })
    }

    pub fn iter(&self) -> impl Iterator<Item = &dyn Toolchain> {
        self.toolchains.iter().map(|t| t.as_ref())
    }

    pub fn get(&self, language: &str) -> Option<&dyn Toolchain> {
        self.toolchains.iter().find(|t| t.language() == language).map(|t| t.as_ref())
    }

    /// The toolchain of a guest path under `conformance/guests/` (`go/cli` → Go).
    pub fn for_guest(&self, guest: &str) -> Result<&dyn Toolchain> {
        let language = guest.split('/').next().unwrap_or_default();
        self.get(language).with_context(|| {
            let known: Vec<&str> = self.toolchains.iter().map(|t| t.language()).collect();
            format!(
                "guest '{guest}': no toolchain for '{language}' (guest paths start with one of: {})",
                known.join(", ")
            )
        })
    }
}

/// The versions a case with `set` runs with in `scope`. Named versions run in every scope, so
/// they must be versions CI installs.
pub fn resolve_versions(toolchain: &dyn Toolchain, set: &VersionSet, scope: Scope) -> Result<Vec<String>> {
    Ok(match set {
        VersionSet::Default => vec![toolchain.default_version().to_string()],
        VersionSet::All => toolchain.all_versions(scope).to_vec(),
        VersionSet::Only(list) => {
            let (full, ci) = (toolchain.all_versions(Scope::Full), toolchain.all_versions(Scope::Ci));
            for v in list {
                if !full.contains(v) {
                    bail!("{} {v} is not a pinned version (pinned: {})", toolchain.language(), full.join(", "));
                }
                if !ci.contains(v) {
                    bail!(
                        "{} {v} is not one CI installs (CI: {}): name only those, or use versions = \"all\"",
                        toolchain.language(),
                        ci.join(", ")
                    );
                }
            }
            list.clone()
        }
    })
}
