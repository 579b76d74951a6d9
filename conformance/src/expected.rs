//! `conformance/expected-failures.toml`: failures we know about, each with the reason. A failing
//! cell listed here is reported as a known failure and does not fail the run; an unlisted one does.

use crate::hosts::HostKind;
use anyhow::{Context, Result};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownFailure {
    pub case: String,
    /// e.g. `go1.21.13`; absent: every toolchain.
    pub toolchain: Option<String>,
    /// absent: every host.
    pub host: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    #[serde(default)]
    pub failure: Vec<KnownFailure>,
}

impl Expected {
    pub fn load(path: &Path) -> Result<Expected> {
        if !path.exists() {
            return Ok(Expected::default());
        }
        let text = std::fs::read_to_string(path)?;
        let e: Expected =
            toml::from_str(&text).with_context(|| format!("{}: bad expected-failures file", path.display()))?;
        for f in &e.failure {
            if let Some(h) = &f.host {
                HostKind::parse(h)
                    .with_context(|| format!("{}: unknown host '{h}' for case {}", path.display(), f.case))?;
            }
        }
        Ok(e)
    }

    pub fn reason(&self, case: &str, toolchain: &str, host: HostKind) -> Option<String> {
        self.failure
            .iter()
            .find(|f| {
                f.case == case
                    && f.toolchain.as_deref().is_none_or(|t| t == toolchain)
                    && f.host.as_deref().is_none_or(|h| HostKind::parse(h) == Some(host))
            })
            .map(|f| f.reason.clone())
    }
}
