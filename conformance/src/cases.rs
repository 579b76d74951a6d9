//! Case files (`conformance/cases/*.toml`): what to run and what to compare.

use crate::gotest::GoTests;
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Compare {
    Stdout,
    Stderr,
    ExitCode,
    Files,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GoVersions {
    /// Only the default pinned release.
    #[default]
    Default,
    /// Every release in ci/versions.sh (ABI drift).
    All,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Case {
    pub name: String,
    pub capability: String,
    pub guest: String,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    pub stdin: Option<String>,
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    #[serde(default = "all_compares")]
    pub compare: Vec<Compare>,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    #[serde(default = "default_versions")]
    pub go_versions: GoVersions,
    pub expect_exit_code: Option<i32>,
    pub expect_stdout_contains: Option<String>,
    /// Where the case was read from (for messages).
    #[serde(skip)]
    pub source: PathBuf,
}

fn all_compares() -> Vec<Compare> {
    vec![Compare::Stdout, Compare::Stderr, Compare::ExitCode, Compare::Files]
}
fn default_timeout() -> u64 {
    120
}
fn default_versions() -> GoVersions {
    GoVersions::Default
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    #[serde(default)]
    case: Vec<Case>,
    gotest: Option<GoTests>,
    #[serde(default, rename = "http-case")]
    http_case: Vec<crate::http::HttpCase>,
}

/// Everything the case files hold.
#[derive(Debug, Default)]
pub struct Suite {
    pub cases: Vec<Case>,
    /// Go standard-library test packages (from `[gotest]` tables, merged).
    pub gotests: Option<GoTests>,
    /// HTTP handler cases (`[[http-case]]`).
    pub http: Vec<crate::http::HttpCase>,
}

/// Reads every case file in `dir`, sorted by file name; names must be unique.
pub fn load(dir: &Path) -> Result<Suite> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut cases: Vec<Case> = Vec::new();
    let mut gotests: Option<GoTests> = None;
    let mut http: Vec<crate::http::HttpCase> = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)?;
        let parsed: CaseFile = toml::from_str(&text).with_context(|| format!("{}: bad case file", file.display()))?;
        if let Some(g) = parsed.gotest {
            if gotests.is_some() {
                bail!("{}: a second [gotest] table; keep the standard-library packages in one file", file.display());
            }
            gotests = Some(g);
        }
        for mut c in parsed.case {
            if cases.iter().any(|o| o.name == c.name) {
                bail!("{}: case name '{}' is used twice", file.display(), c.name);
            }
            c.source = file.clone();
            cases.push(c);
        }
        for mut c in parsed.http_case {
            if cases.iter().any(|o| o.name == c.name) || http.iter().any(|o| o.name == c.name) {
                bail!("{}: case name '{}' is used twice", file.display(), c.name);
            }
            if c.request.is_empty() {
                bail!("{}: http-case '{}' sends no request", file.display(), c.name);
            }
            for r in &c.request {
                for name in &r.expect_no_header {
                    if r.status_only || !crate::http::compared_header(&name.to_ascii_lowercase()) {
                        bail!(
                            "{}: http-case '{}': expect-no-header {name:?} can never be seen (only content-type, set-cookie and x-* headers are compared, and none with status-only)",
                            file.display(),
                            c.name
                        );
                    }
                }
            }
            c.source = file.clone();
            http.push(c);
        }
    }
    Ok(Suite { cases, gotests, http })
}
