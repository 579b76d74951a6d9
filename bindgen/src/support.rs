//! Whether each import can run on a WASI host: provided by WASI itself, replaced by `rewrite`,
//! or unsupported (with what to do). One place answers this for `inspect` and `rewrite`.

use crate::flavour::{is_wasi_core_module, Flavour};
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

/// Classifies one import of a binary of `flavour`.
pub fn classify(flavour: Flavour, import: &Import) -> Support {
    if flavour == Flavour::Component {
        return if import.name.starts_with("wasi:") {
            Support::Wasi
        } else {
            Support::Unsupported {
                reason: "not a WASI interface: the host must provide it (compose a component that exports it)".into(),
            }
        };
    }
    if is_wasi_core_module(&import.module) {
        return Support::Wasi;
    }
    if flavour == Flavour::GoJs {
        return gojs(import);
    }
    Support::Unsupported { reason: flavour_gap(flavour).into() }
}

fn gojs(import: &Import) -> Support {
    use crate::gojs::abi;
    if abi::is_workers_ready(&import.module, &import.name) {
        return Support::Rewritten { by: "gojs shim http.ready (the HTTP handler becomes wasi:http/incoming-handler)".into() };
    }
    if import.module != abi::MODULE {
        return Support::Unsupported {
            reason: "not part of Go's GOOS=js ABI (a //go:wasmimport?): nothing provides it; remove it from the program".into(),
        };
    }
    match abi::import(&import.name) {
        Some(abi::GoImport { wit: Some((iface, func)), .. }) => {
            Support::Rewritten { by: format!("gojs shim {}.{func}", iface.name()) }
        }
        Some(abi::GoImport { wit: None, .. }) => Support::Rewritten { by: "adapter only (no-op)".into() },
        None => Support::Unsupported {
            reason: "unknown to this rewriter (newer than the Go releases it knows?); rebuild with Go 1.21–1.27".into(),
        },
    }
}

/// Why a flavour's browser imports cannot be satisfied yet, and what a user can do meanwhile.
fn flavour_gap(flavour: Flavour) -> &'static str {
    match flavour {
        Flavour::GoJs => "not part of Go's GOOS=js ABI",
        Flavour::WasmBindgen => "rewriting wasm-bindgen imports is not implemented yet",
        Flavour::Emscripten => "rewriting emscripten imports is not implemented yet; try emcc -sSTANDALONE_WASM",
        Flavour::DotnetMono => "rewriting the .NET browser runtime's imports is not implemented yet",
        Flavour::WasiPreview1 | Flavour::Component => "not a WASI import",
        Flavour::Unknown => "no known toolchain provides this import; the module needs a host that defines it",
    }
}
