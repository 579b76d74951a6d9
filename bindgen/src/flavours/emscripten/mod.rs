//! emscripten modules (default builds, and -sSTANDALONE_WASM ones that import WASI only):
//! detected by emscripten's runtime imports and exports; not rewritten yet.

use crate::frontend::{Detection, Frontend, Options, Plan, Toolchain};
use crate::module::{Import, Input, ModuleInfo};
use crate::support::{is_wasi_core_module, Support};

/// The frontend of emscripten modules.
pub struct Emscripten;

/// Exports only emscripten's runtime adds.
const EXPORTS: [&str; 6] = [
    "stackSave",
    "stackRestore",
    "stackAlloc",
    "emscripten_stack_init",
    "emscripten_stack_get_end",
    "_emscripten_stack_restore",
];

/// Why an emscripten module is not rewritten.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("this flavour is planned, not implemented")]
    NotImplemented,
}

impl Frontend for Emscripten {
    fn name(&self) -> &'static str {
        "emscripten"
    }

    fn describe(&self) -> &'static str {
        "emscripten module"
    }

    fn detect(&self, input: &Input) -> Option<Detection> {
        let info = &input.info;
        let imports = runtime_import_count(info);
        let exports: Vec<&str> = EXPORTS.into_iter().filter(|e| info.has_export(e)).collect();
        let dyncalls = info.exports.iter().filter(|e| e.name.starts_with("dynCall_")).count();
        if imports == 0 && exports.is_empty() && dyncalls == 0 {
            return None;
        }
        let mut evidence = Vec::new();
        if imports > 0 {
            evidence.push(format!(
                "imports {imports} emscripten runtime functions from \"env\" (emscripten_*, __syscall_*, invoke_*, setTempRet0, …)"
            ));
        }
        if !exports.is_empty() {
            evidence.push(format!("exports emscripten's {}", exports.join(", ")));
        }
        if dyncalls > 0 {
            evidence.push(format!("exports {dyncalls} dynCall_* trampolines"));
        }
        if info.imports.iter().all(|i| is_wasi_core_module(&i.module)) {
            evidence.push("imports WASI preview1 only (built with -sSTANDALONE_WASM)".into());
        }
        let toolchain = Toolchain {
            name: "emscripten".into(),
            version: None,
            source: "emscripten does not record its version in the binary".into(),
        };
        Some(Detection { evidence, toolchain: Some(toolchain), ..Detection::default() })
    }

    fn support(&self, _input: &Input, _import: &Import) -> Support {
        Support::Unsupported {
            reason: "rewriting emscripten imports is not implemented yet; try emcc -sSTANDALONE_WASM".into(),
        }
    }

    fn plan(
        &self,
        _input: &Input,
        _detection: &Detection,
        _options: &Options,
    ) -> Result<Plan, crate::frontend::Refusal> {
        Err(crate::frontend::Refusal::flavour(Refusal::NotImplemented))
    }
}

/// How many functions the module imports from emscripten's JS runtime (`env.emscripten_*`,
/// `__syscall_*`, `invoke_*`, …): also there in runtimes built with emscripten.
pub fn runtime_import_count(info: &ModuleInfo) -> usize {
    info.imports
        .iter()
        .filter(|i| {
            i.module == "env"
                && (i.name.starts_with("emscripten_")
                    || i.name.starts_with("_emscripten_")
                    || i.name.starts_with("__syscall_")
                    || i.name.starts_with("invoke_")
                    || i.name.starts_with("__cxa_")
                    || matches!(i.name.as_str(), "setTempRet0" | "getTempRet0" | "__resumeException"))
        })
        .count()
}
