//! WASI preview1 modules: they import WASI only and run on WASI hosts as they are, so `rewrite`
//! passes them by.

use crate::frontend::{Detection, Frontend, Options, Plan, Toolchain};
use crate::module::{Import, Input};
use crate::support::{is_wasi_core_module, Support};

/// The frontend of WASI preview1 modules.
pub struct Wasi;

/// Why a WASI module is not rewritten.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("this module imports only WASI and runs as is (`wasmtime run`)")]
    RunsAsIs,
}

impl Frontend for Wasi {
    fn name(&self) -> &'static str {
        "wasi-preview1"
    }

    fn describe(&self) -> &'static str {
        "WASI preview1 module"
    }

    fn passes_through(&self) -> bool {
        true
    }

    fn detect(&self, input: &Input) -> Option<Detection> {
        let info = &input.info;
        let wasi = info.imports.iter().filter(|i| is_wasi_core_module(&i.module)).count();
        let entry: Vec<&str> = ["_start", "_initialize"].into_iter().filter(|e| info.has_export(e)).collect();
        if wasi != info.imports.len() || (wasi == 0 && entry.is_empty()) {
            return None;
        }
        let mut evidence = Vec::new();
        if wasi > 0 {
            evidence.push(format!("imports only WASI preview1 ({wasi} functions from wasi_snapshot_preview1)"));
        } else {
            evidence.push("has no imports".into());
        }
        if !entry.is_empty() {
            evidence.push(format!("exports {}", entry.join(", ")));
        }
        Some(Detection { evidence, toolchain: Toolchain::from_producers(input), ..Detection::default() })
    }

    fn support(&self, _input: &Input, _import: &Import) -> Support {
        Support::Unsupported { reason: "not a WASI import".into() }
    }

    fn plan(
        &self,
        _input: &Input,
        _detection: &Detection,
        _options: &Options,
    ) -> Result<Plan, crate::frontend::Refusal> {
        Err(crate::frontend::Refusal::flavour(Refusal::RunsAsIs))
    }
}
