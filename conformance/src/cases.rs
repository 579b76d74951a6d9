//! Case files (`conformance/cases/*.toml`): what to run and what to compare. They name no
//! toolchain: a case's guest path says its language (`go/cli`), and `versions` which of the
//! toolchain's versions it runs with.

use crate::toolchains::{resolve_versions, Corpus, Registry};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use testkit::tools::Scope;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Compare {
    Stdout,
    Stderr,
    ExitCode,
    Files,
}

/// Which of its toolchain's versions a case runs with: `versions = "all"` or
/// `versions = ["1.24.11", …]`; absent, the toolchain's default version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum VersionSet {
    /// The toolchain's default version.
    #[default]
    Default,
    /// Every version of the run: those CI covers (`ci/test`), or every pinned one
    /// (`ci/test --full`), as the toolchain says.
    All,
    /// These versions, in every run.
    Only(Vec<String>),
}

impl<'de> Deserialize<'de> for VersionSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Word(String),
            List(Vec<String>),
        }
        match Raw::deserialize(d)? {
            Raw::Word(w) if w == "all" => Ok(VersionSet::All),
            Raw::Word(w) => {
                Err(serde::de::Error::custom(format!("versions = {w:?}: expected \"all\" or a list of versions")))
            }
            Raw::List(l) if l.is_empty() => {
                Err(serde::de::Error::custom("versions = []: name at least one version, or leave it out"))
            }
            Raw::List(l) => Ok(VersionSet::Only(l)),
        }
    }
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
    #[serde(default)]
    pub versions: VersionSet,
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    #[serde(default)]
    case: Vec<Case>,
    #[serde(default, rename = "http-case")]
    http_case: Vec<crate::http::HttpCase>,
    /// Toolchains' own test corpora, by language: `[corpus.go]`.
    #[serde(default)]
    corpus: BTreeMap<String, toml::Value>,
}

/// Everything the case files hold.
#[derive(Default)]
pub struct Suite {
    pub cases: Vec<Case>,
    /// HTTP handler cases (`[[http-case]]`).
    pub http: Vec<crate::http::HttpCase>,
    /// Toolchains' own corpora (`[corpus.<language>]`), by language.
    pub corpora: Vec<(String, Box<dyn Corpus>)>,
}

/// Reads every case file in `dir`, sorted by file name; names must be unique, every guest must
/// have a toolchain in `toolchains` and every version set must name its versions.
pub fn load(dir: &Path, toolchains: &Registry) -> Result<Suite> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut suite = Suite::default();
    let mut names: Vec<String> = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)?;
        let parsed: CaseFile = toml::from_str(&text).with_context(|| format!("{}: bad case file", file.display()))?;
        for (language, table) in parsed.corpus {
            if suite.corpora.iter().any(|(l, _)| *l == language) {
                bail!("{}: a second [corpus.{language}] table; keep a toolchain's corpus in one file", file.display());
            }
            let toolchain = toolchains
                .get(&language)
                .with_context(|| format!("{}: [corpus.{language}]: no toolchain for '{language}'", file.display()))?;
            let corpus = toolchain.corpus(table).with_context(|| format!("{}: [corpus.{language}]", file.display()))?;
            suite.corpora.push((language, corpus));
        }
        let mut check = |name: &str, guest: &str, versions: &VersionSet| -> Result<()> {
            if names.iter().any(|n| n == name) {
                bail!("{}: case name '{name}' is used twice", file.display());
            }
            names.push(name.to_string());
            let toolchain =
                toolchains.for_guest(guest).with_context(|| format!("{}: case '{name}'", file.display()))?;
            for scope in [Scope::Ci, Scope::Full] {
                resolve_versions(toolchain, versions, scope)
                    .with_context(|| format!("{}: case '{name}'", file.display()))?;
            }
            Ok(())
        };
        for mut c in parsed.case {
            check(&c.name, &c.guest, &c.versions)?;
            c.source = file.clone();
            suite.cases.push(c);
        }
        for mut c in parsed.http_case {
            check(&c.name, &c.guest, &c.versions)?;
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
            suite.http.push(c);
        }
    }
    Ok(suite)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct One {
        #[serde(default)]
        versions: VersionSet,
    }

    fn parse(text: &str) -> Result<VersionSet, toml::de::Error> {
        toml::from_str::<One>(text).map(|o| o.versions)
    }

    #[test]
    fn versions_are_all_a_list_or_the_default() {
        assert_eq!(parse("").unwrap(), VersionSet::Default);
        assert_eq!(parse("versions = \"all\"").unwrap(), VersionSet::All);
        assert_eq!(parse("versions = [\"1.24.11\"]").unwrap(), VersionSet::Only(vec!["1.24.11".into()]));
        assert!(parse("versions = \"newest\"").unwrap_err().to_string().contains("expected \"all\""));
        assert!(parse("versions = []").is_err());
    }

    #[test]
    fn the_committed_case_files_load() {
        let registry = Registry::load().unwrap();
        let suite = load(&testkit::tools::repo_root().join("conformance/cases"), &registry).unwrap();
        assert!(!suite.cases.is_empty() && !suite.http.is_empty());
        assert_eq!(suite.corpora.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>(), ["go"]);
    }
}
