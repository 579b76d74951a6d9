//! Naming the toolchain that produced a binary (its flavour), with the evidence for it and the
//! toolchain version where the binary records one. Detection looks at structure only (import
//! modules and names, exports, custom sections, version strings); it never guesses from file
//! names.

use crate::module::{BinaryKind, ModuleInfo};
use serde::Serialize;

/// The toolchain family of a binary. The JSON report spells these exactly as `as_str` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Flavour {
    #[serde(rename = "gojs")]
    GoJs,
    #[serde(rename = "wasm-bindgen")]
    WasmBindgen,
    #[serde(rename = "emscripten")]
    Emscripten,
    #[serde(rename = "dotnet-mono")]
    DotnetMono,
    #[serde(rename = "wasi-preview1")]
    WasiPreview1,
    #[serde(rename = "component")]
    Component,
    #[serde(rename = "unknown")]
    Unknown,
}

impl Flavour {
    pub const ALL: [Flavour; 7] = [
        Flavour::GoJs,
        Flavour::WasmBindgen,
        Flavour::Emscripten,
        Flavour::DotnetMono,
        Flavour::WasiPreview1,
        Flavour::Component,
        Flavour::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Flavour::GoJs => "gojs",
            Flavour::WasmBindgen => "wasm-bindgen",
            Flavour::Emscripten => "emscripten",
            Flavour::DotnetMono => "dotnet-mono",
            Flavour::WasiPreview1 => "wasi-preview1",
            Flavour::Component => "component",
            Flavour::Unknown => "unknown",
        }
    }

    /// A human description for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Flavour::GoJs => "Go GOOS=js GOARCH=wasm program",
            Flavour::WasmBindgen => "Rust wasm-bindgen module",
            Flavour::Emscripten => "emscripten module",
            Flavour::DotnetMono => ".NET (mono) browser-wasm runtime",
            Flavour::WasiPreview1 => "WASI preview1 module",
            Flavour::Component => "WebAssembly component",
            Flavour::Unknown => "module of unknown origin",
        }
    }
}

impl std::fmt::Display for Flavour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Flavour {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Flavour::ALL.into_iter().find(|f| f.as_str() == s).ok_or_else(|| {
            let known: Vec<_> = Flavour::ALL.iter().map(|f| f.as_str()).collect();
            format!("unknown flavour '{s}' (known: {})", known.join(", "))
        })
    }
}

/// The toolchain and version a binary records about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Toolchain {
    /// `Go`, `wasm-bindgen`, `emscripten`, `.NET`, `rustc`, …
    pub name: String,
    /// The version as recorded (`go1.27.3`, `0.2.130`, `10.0.1026.32716 @Commit: …`), if any.
    pub version: Option<String>,
    /// Where the version came from (`producers section`, `data segment`, …) or why it is absent.
    pub source: String,
}

/// The outcome of detection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detection {
    pub flavour: Flavour,
    pub evidence: Vec<String>,
    pub toolchain: Option<Toolchain>,
}

/// Import module names that WASI hosts provide to core modules.
pub const WASI_CORE_MODULES: [&str; 2] = ["wasi_snapshot_preview1", "wasi_unstable"];

/// Whether a core import module is a WASI one.
pub fn is_wasi_core_module(module: &str) -> bool {
    WASI_CORE_MODULES.contains(&module)
}

/// Exports only emscripten's runtime adds.
const EMSCRIPTEN_EXPORTS: [&str; 6] =
    ["stackSave", "stackRestore", "stackAlloc", "emscripten_stack_init", "emscripten_stack_get_end", "_emscripten_stack_restore"];

pub fn detect(info: &ModuleInfo) -> Detection {
    if info.kind == BinaryKind::Component {
        return detect_component(info);
    }
    let count = |pred: &dyn Fn(&str, &str) -> bool| info.imports.iter().filter(|i| pred(&i.module, &i.name)).count();
    let mut evidence = Vec::new();

    // Go: module `gojs` since Go 1.21; `go` before (the same functions, renamed).
    let gojs = count(&|m, _| m == "gojs");
    let old_go = count(&|m, n| m == "go" && (n.starts_with("runtime.") || n.starts_with("syscall/js.")));
    if gojs > 0 || old_go > 0 {
        if gojs > 0 {
            evidence.push(format!("imports {gojs} functions from module \"gojs\""));
        } else {
            evidence.push(format!(
                "imports {old_go} functions from module \"go\" (the Go ≤ 1.20 name of \"gojs\")"
            ));
        }
        let go_exports: Vec<&str> =
            ["run", "resume", "getsp"].into_iter().filter(|e| info.has_export(e)).collect();
        if !go_exports.is_empty() {
            evidence.push(format!("exports {}", go_exports.join(", ")));
        }
        if info.has_custom_section("go:buildid") {
            evidence.push("has a go:buildid custom section".into());
        }
        if crate::gojs::GoApp::of(info) == crate::gojs::GoApp::HttpHandler {
            evidence.push(
                "imports workers.ready: an HTTP handler on the Workers fetch contract (github.com/syumai/workers or wasm-server-bindgen/gojs/httpserve)".into(),
            );
        }
        return Detection { flavour: Flavour::GoJs, evidence, toolchain: Some(go_toolchain(info)) };
    }

    // wasm-bindgen: raw cargo output carries its schema section and placeholder imports;
    // processed output imports `__wbg_*` / `__wbindgen_*` from the generated `*_bg.js`.
    let placeholder = count(&|m, _| m == "__wbindgen_placeholder__" || m == "__wbindgen_externref_xform__");
    let wbg = count(&|_, n| n.starts_with("__wbg_") || n.starts_with("__wbindgen_"));
    if info.markers.wasm_bindgen_schema.is_some() || placeholder > 0 || wbg > 0 {
        if info.has_custom_section("__wasm_bindgen_unstable") {
            evidence.push("has the __wasm_bindgen_unstable custom section (raw cargo output, before wasm-bindgen)".into());
        }
        if placeholder > 0 {
            evidence.push(format!("imports {placeholder} functions from __wbindgen_placeholder__/__wbindgen_externref_xform__"));
        } else if wbg > 0 {
            let modules: Vec<&str> = info
                .import_modules()
                .into_iter()
                .filter(|m| info.imports.iter().any(|i| &i.module == m && (i.name.starts_with("__wbg_") || i.name.starts_with("__wbindgen_"))))
                .collect();
            evidence.push(format!(
                "imports {wbg} __wbg_/__wbindgen_ functions from {} (processed by wasm-bindgen)",
                quote_list(&modules)
            ));
        }
        return Detection { flavour: Flavour::WasmBindgen, evidence, toolchain: Some(wasm_bindgen_toolchain(info)) };
    }

    // .NET's runtime is itself built by emscripten: test for mono before emscripten.
    let mono = count(&|m, n| m == "env" && (n.starts_with("mono_wasm_") || n.starts_with("mono_interp_")));
    if mono > 0 {
        evidence.push(format!("imports {mono} mono_wasm_*/mono_interp_* functions from \"env\""));
        let em = emscripten_import_count(info);
        if em > 0 {
            evidence.push(format!("imports {em} emscripten runtime functions from \"env\" (the runtime is built with emscripten)"));
        }
        return Detection { flavour: Flavour::DotnetMono, evidence, toolchain: Some(dotnet_toolchain(info)) };
    }

    let em_imports = emscripten_import_count(info);
    let em_exports: Vec<&str> = EMSCRIPTEN_EXPORTS.into_iter().filter(|e| info.has_export(e)).collect();
    let dyncalls = info.exports.iter().filter(|e| e.name.starts_with("dynCall_")).count();
    if em_imports > 0 || !em_exports.is_empty() || dyncalls > 0 {
        if em_imports > 0 {
            evidence.push(format!(
                "imports {em_imports} emscripten runtime functions from \"env\" (emscripten_*, __syscall_*, invoke_*, setTempRet0, …)"
            ));
        }
        if !em_exports.is_empty() {
            evidence.push(format!("exports emscripten's {}", em_exports.join(", ")));
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
        return Detection { flavour: Flavour::Emscripten, evidence, toolchain: Some(toolchain) };
    }

    let wasi = count(&|m, _| is_wasi_core_module(m));
    let entry: Vec<&str> = ["_start", "_initialize"].into_iter().filter(|e| info.has_export(e)).collect();
    if wasi == info.imports.len() && (wasi > 0 || !entry.is_empty()) {
        if wasi > 0 {
            evidence.push(format!("imports only WASI preview1 ({wasi} functions from wasi_snapshot_preview1)"));
        } else {
            evidence.push("has no imports".into());
        }
        if !entry.is_empty() {
            evidence.push(format!("exports {}", entry.join(", ")));
        }
        return Detection { flavour: Flavour::WasiPreview1, evidence, toolchain: producers_toolchain(info) };
    }

    if info.imports.is_empty() {
        evidence.push("has no imports and no _start or _initialize entry point".into());
    } else {
        evidence.push(format!(
            "imports from {} match no known toolchain",
            quote_list(&info.import_modules())
        ));
    }
    Detection { flavour: Flavour::Unknown, evidence, toolchain: producers_toolchain(info) }
}

fn detect_component(info: &ModuleInfo) -> Detection {
    let wasi = info.imports.iter().filter(|i| i.name.starts_with("wasi:")).count();
    let mut evidence = vec!["binary layer 1: a component, not a core module".to_string()];
    if info.imports.is_empty() {
        evidence.push("has no imports".into());
    } else {
        evidence.push(format!("{} imports, {wasi} of them WASI interfaces", info.imports.len()));
    }
    let worlds: Vec<&str> = info
        .exports
        .iter()
        .map(|e| e.name.as_str())
        .filter(|n| n.starts_with("wasi:cli/run") || n.starts_with("wasi:http/incoming-handler"))
        .collect();
    if !worlds.is_empty() {
        evidence.push(format!("exports {}", worlds.join(", ")));
    }
    Detection { flavour: Flavour::Component, evidence, toolchain: producers_toolchain(info) }
}

fn emscripten_import_count(info: &ModuleInfo) -> usize {
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

fn go_toolchain(info: &ModuleInfo) -> Toolchain {
    if let Some(p) = info.producer("language", "Go") {
        return Toolchain { name: "Go".into(), version: Some(p.version.clone()), source: "producers section".into() };
    }
    if let Some(v) = &info.markers.go_version_in_data {
        return Toolchain { name: "Go".into(), version: Some(v.clone()), source: "runtime.buildVersion in a data segment".into() };
    }
    Toolchain { name: "Go".into(), version: None, source: "no producers section and no go1.N string in the data".into() }
}

fn wasm_bindgen_toolchain(info: &ModuleInfo) -> Toolchain {
    if let Some((schema, version)) = &info.markers.wasm_bindgen_schema {
        return Toolchain {
            name: "wasm-bindgen".into(),
            version: Some(version.clone()),
            source: format!("__wasm_bindgen_unstable section (schema {schema})"),
        };
    }
    if let Some(p) = info.producer("processed-by", "wasm-bindgen") {
        return Toolchain { name: "wasm-bindgen".into(), version: Some(p.version.clone()), source: "producers section".into() };
    }
    Toolchain { name: "wasm-bindgen".into(), version: None, source: "no schema section and no producers entry".into() }
}

fn dotnet_toolchain(info: &ModuleInfo) -> Toolchain {
    match &info.markers.dotnet_version_in_data {
        Some(v) => Toolchain { name: ".NET".into(), version: Some(v.clone()), source: "runtime version string in a data segment".into() },
        None => Toolchain { name: ".NET".into(), version: None, source: "no version string in the data".into() },
    }
}

/// For flavours without a marker of their own: the producer that processed or wrote the code.
fn producers_toolchain(info: &ModuleInfo) -> Option<Toolchain> {
    let p = info
        .producers
        .iter()
        .find(|p| p.field == "processed-by")
        .or_else(|| info.producers.iter().find(|p| p.field == "language"))?;
    Some(Toolchain {
        name: p.name.clone(),
        version: (!p.version.is_empty()).then(|| p.version.clone()),
        source: "producers section".into(),
    })
}

pub(crate) fn quote_list(items: &[&str]) -> String {
    items.iter().map(|m| format!("\"{m}\"")).collect::<Vec<_>>().join(", ")
}
