//! Whether each import can run on a WASI host: provided by WASI itself, replaced by `rewrite`,
//! or unsupported (with what to do). One place answers this for `inspect` and `rewrite`: WASI
//! imports here, every other import by the binary's frontend.

use crate::module::Import;
use serde::Serialize;

/// How an import will be satisfied on a WASI host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "support", rename_all = "kebab-case")]
pub enum Support {
    /// A WASI import that hosts provide as is.
    Wasi,
    /// `rewrite` replaces this import with generated code and the flavour's shim.
    Rewritten { by: String },
    /// Nothing provides it on a WASI host today.
    Unsupported { reason: String },
}

impl Support {
    pub fn label(&self) -> &'static str {
        match self {
            Support::Wasi => "wasi",
            Support::Rewritten { .. } => "rewritten",
            Support::Unsupported { .. } => "unsupported",
        }
    }
    pub fn is_unsupported(&self) -> bool {
        matches!(self, Support::Unsupported { .. })
    }
}

/// Import module names that WASI hosts provide to core modules.
pub const WASI_CORE_MODULES: [&str; 2] = ["wasi_snapshot_preview1", "wasi_unstable"];

/// Whether a core import module is a WASI one.
pub fn is_wasi_core_module(module: &str) -> bool {
    WASI_CORE_MODULES.contains(&module)
}

/// Classifies one import: a WASI core import is WASI's whatever the flavour; any other is as
/// the binary's frontend says (`by_flavour`, normally [`crate::frontend::Frontend::support`]).
pub fn classify(import: &Import, by_flavour: impl FnOnce(&Import) -> Support) -> Support {
    if is_wasi_core_module(&import.module) {
        Support::Wasi
    } else {
        by_flavour(import)
    }
}
