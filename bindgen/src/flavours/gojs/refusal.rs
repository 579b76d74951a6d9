//! Why a Go module is not rewritten: the refusals of [`super::check`] and of the plan.

use std::path::PathBuf;

/// Why a Go module is not rewritten.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("Go release {found} is outside those this rewriter knows ({known}); rebuild with one of them")]
    UnknownGoVersion { found: String, known: String },
    #[error("the module does not have the Go GOOS=js ABI this rewriter knows ({} problem{}):\n{}", problems.len(), if problems.len() == 1 { "" } else { "s" }, problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    UnsupportedAbi { problems: Vec<String> },
    #[error("{path}: --as command, but the module imports workers.ready: it is an HTTP handler (the Workers fetch contract) and has no main that finishes; rewrite it without --as, or --as http-handler")]
    HandlerAsCommand { path: PathBuf },
}
