//! `inspect`: what a binary is, what it imports and whether it can run on a WASI host.
//!
//! The JSON form of [`Report`] is a stable interface (documented in `docs/inspect-json.md`);
//! `FORMAT_VERSION` changes whenever a field changes meaning or disappears.

use crate::error::InputError;
use crate::flavour::{self, Detection, Flavour, Toolchain};
use crate::module::{self, BinaryKind, CustomSection, Export, ItemType, Memory, ModuleInfo, Table};
use crate::support::{self, Support};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// Version of the JSON report format.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub format_version: u32,
    pub file: String,
    pub size: usize,
    pub kind: BinaryKind,
    pub flavour: Flavour,
    pub evidence: Vec<String>,
    pub toolchain: Option<Toolchain>,
    /// Go programs: `command` or `http-handler` (what `rewrite` makes of it); null otherwise.
    pub app: Option<crate::gojs::GoApp>,
    /// Go HTTP handlers: whether the program uses `wasm-server-bindgen/gojs/kv` (`rewrite` then
    /// adds the `wasi:keyvalue` binding); null otherwise.
    pub key_value_stores: Option<bool>,
    pub imports: Vec<ImportGroup>,
    pub exports: Vec<Export>,
    pub memories: Vec<Memory>,
    pub tables: Vec<Table>,
    pub custom_sections: Vec<CustomSection>,
    pub verdict: Verdict,
}

/// The imports of one module name (core) or all imports (component, `module` empty).
#[derive(Debug, Clone, Serialize)]
pub struct ImportGroup {
    pub module: String,
    pub items: Vec<ImportItem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportItem {
    pub name: String,
    #[serde(flatten)]
    pub ty: ItemType,
    #[serde(flatten)]
    pub support: Support,
}

/// Can the binary run on a WASI host, and what does it take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    /// Every import is WASI: `wasmtime run` (or any WASI host) runs it unchanged.
    RunsAsIs { summary: String },
    /// Browser imports that `rewrite` replaces (all of them, when `unsupported` is 0).
    NeedsRewrite { summary: String, imports: usize, modules: usize, unsupported: usize },
    /// Imports no rewrite provides, from an unknown toolchain.
    CannotRun { summary: String, unsupported: usize },
}

impl Verdict {
    pub fn summary(&self) -> &str {
        match self {
            Verdict::RunsAsIs { summary } | Verdict::NeedsRewrite { summary, .. } | Verdict::CannotRun { summary, .. } => summary,
        }
    }
}

/// Reads `path` and builds its report.
pub fn inspect_file(path: &Path) -> Result<Report, InputError> {
    let info = module::read_file(path)?;
    Ok(report(path, &info))
}

/// Builds the report of an already-read binary.
pub fn report(path: &Path, info: &ModuleInfo) -> Report {
    let Detection { flavour, evidence, toolchain } = flavour::detect(info);
    let mut imports: Vec<ImportGroup> = Vec::new();
    for imp in &info.imports {
        let item = ImportItem { name: imp.name.clone(), ty: imp.ty.clone(), support: support::classify(flavour, imp) };
        match imports.iter_mut().find(|g| g.module == imp.module) {
            Some(g) => g.items.push(item),
            None => imports.push(ImportGroup { module: imp.module.clone(), items: vec![item] }),
        }
    }
    let app = (flavour == Flavour::GoJs).then(|| crate::gojs::GoApp::of(info));
    let mut verdict = verdict(flavour, &imports, info);
    if flavour == Flavour::GoJs {
        if let Err(e) = crate::gojs::check_abi(info, toolchain.as_ref()) {
            let unsupported = imports.iter().flat_map(|g| &g.items).filter(|i| i.support.is_unsupported()).count();
            verdict = Verdict::CannotRun { summary: format!("cannot be rewritten: {e}"), unsupported };
        }
    }
    Report {
        format_version: FORMAT_VERSION,
        file: path.display().to_string(),
        size: info.size,
        kind: info.kind,
        flavour,
        evidence,
        toolchain,
        app,
        key_value_stores: (app == Some(crate::gojs::GoApp::HttpHandler)).then_some(info.markers.go_kv_package),
        imports,
        exports: info.exports.clone(),
        memories: info.memories.clone(),
        tables: info.tables.clone(),
        custom_sections: info.custom_sections.clone(),
        verdict,
    }
}

fn verdict(flavour: Flavour, groups: &[ImportGroup], info: &ModuleInfo) -> Verdict {
    let items = || groups.iter().flat_map(|g| g.items.iter());
    let unsupported = items().filter(|i| i.support.is_unsupported()).count();
    let non_wasi: Vec<&ImportGroup> =
        groups.iter().filter(|g| g.items.iter().any(|i| i.support != Support::Wasi)).collect();
    let non_wasi_count = items().filter(|i| i.support != Support::Wasi).count();
    if non_wasi_count == 0 {
        let host = match flavour {
            Flavour::Component if info.exports.iter().any(|e| e.name.starts_with("wasi:http/incoming-handler@")) => proxy_hosts(groups),
            Flavour::Component => "any WASI 0.2 host (wasmtime run/serve, Spin, …)".into(),
            _ => "any WASI preview1 host (wasmtime run, …)".into(),
        };
        return Verdict::RunsAsIs { summary: format!("runs on WASI as is: every import is WASI; {host}") };
    }
    let names: Vec<&str> = non_wasi.iter().map(|g| g.module.as_str()).collect();
    let plural = |n: usize, one: &str, many: &str| if n == 1 { one.to_string() } else { many.to_string() };
    match flavour {
        Flavour::Unknown | Flavour::Component | Flavour::WasiPreview1 => Verdict::CannotRun {
            summary: format!(
                "cannot run: {unsupported} {} no WASI host or rewrite provides{}",
                plural(unsupported, "import that", "imports that"),
                if names.iter().all(|n| n.is_empty()) { String::new() } else { format!(" (from {})", flavour::quote_list(&names)) }
            ),
            unsupported,
        },
        _ => {
            let mut summary = format!(
                "needs a rewrite: {non_wasi_count} {} from {} {} ({})",
                plural(non_wasi_count, "import", "imports"),
                names.len(),
                plural(names.len(), "module", "modules"),
                flavour::quote_list(&names)
            );
            if unsupported == 0 {
                summary += "; `wasm-server-bindgen rewrite` replaces all of them";
            } else if unsupported == non_wasi_count {
                summary += &format!("; rewriting does not support {} yet", flavour.describe());
            } else {
                summary += &format!("; {unsupported} of them are not supported by rewrite yet (listed above)");
            }
            Verdict::NeedsRewrite { summary, imports: non_wasi_count, modules: names.len(), unsupported }
        }
    }
}

/// Where an HTTP handler component runs: any wasi:http/proxy host when it imports only that
/// world, else only hosts that link what it imports beyond it (named, with the flag stock
/// `wasmtime serve` needs).
fn proxy_hosts(groups: &[ImportGroup]) -> String {
    use crate::proxy::{beyond_proxy_world, Beyond};
    let names = || groups.iter().flat_map(|g| &g.items).map(|i| i.name.as_str());
    let of = |kind: Beyond| names().filter(|n| beyond_proxy_world(n) == kind).collect::<Vec<_>>();
    let (stand_in, key_value, other) = (of(Beyond::StandIn), of(Beyond::KeyValue), of(Beyond::Other));
    if stand_in.is_empty() && key_value.is_empty() && other.is_empty() {
        return "a wasi:http/proxy component: any proxy host (wasmtime serve, Spin, wasm-server serve, …)".into();
    }
    let mut needs = Vec::new();
    if !stand_in.is_empty() {
        needs.push(format!(
            "{} (`wasmtime serve -S cli`; a Go handler rewritten with --strict-proxy does without)",
            stand_in.join(", ")
        ));
    }
    if !key_value.is_empty() {
        needs.push(format!("{} (`wasmtime serve -S keyvalue`, wasm-server serve --kv)", key_value.join(", ")));
    }
    if !other.is_empty() {
        needs.push(other.join(", "));
    }
    format!("an HTTP handler that imports more than the wasi:http/proxy world: {}", needs.join("; "))
}

impl Report {
    /// The report as a human reads it.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{}: {} ({} bytes)", self.file, self.flavour.describe(), self.size);
        let _ = writeln!(s, "flavour: {}", self.flavour);
        for e in &self.evidence {
            let _ = writeln!(s, "  evidence: {e}");
        }
        match &self.toolchain {
            Some(Toolchain { name, version: Some(v), source }) => {
                let _ = writeln!(s, "toolchain: {name} {v} (from the {source})");
            }
            Some(Toolchain { name, version: None, source }) => {
                let _ = writeln!(s, "toolchain: {name}, version unknown ({source})");
            }
            None => {}
        }
        match self.app {
            Some(crate::gojs::GoApp::Command) => {
                let _ = writeln!(s, "app: command (runs main and exits)");
            }
            Some(crate::gojs::GoApp::HttpHandler) => {
                let _ = writeln!(s, "app: http-handler (serves requests through binding.handleRequest)");
                if self.exports.iter().any(|e| e.name == crate::gojs::abi::EXPORT_HTTP_REQUEST) {
                    let _ = writeln!(s, "direct path: requests go into Go as bytes (bodies as the handler reads them), bypassing syscall/js (wasm-server-bindgen/gojs/httpserve, Go 1.24+)");
                }
                if self.key_value_stores == Some(true) {
                    let _ = writeln!(s, "uses: key-value stores ({}; rewrite adds wasi:keyvalue)", crate::gojs::KV_PACKAGE);
                }
            }
            None => {}
        }
        let total: usize = self.imports.iter().map(|g| g.items.len()).sum();
        let _ = writeln!(s, "\nimports: {total} from {} {}", self.imports.len(), if self.imports.len() == 1 { "module" } else { "modules" });
        let width = self.imports.iter().flat_map(|g| &g.items).map(|i| i.name.len()).max().unwrap_or(0).min(48);
        // Unsupported reasons are long and shared: print each once, as a numbered note.
        let mut notes: Vec<&str> = Vec::new();
        for g in &self.imports {
            if self.kind == BinaryKind::CoreModule {
                let _ = writeln!(s, "  {} ({})", g.module, g.items.len());
            }
            for i in &g.items {
                let support = match &i.support {
                    Support::Wasi => "wasi".to_string(),
                    Support::Rewritten { by } => format!("rewritten → {by}"),
                    Support::Unsupported { reason } => {
                        let n = match notes.iter().position(|r| r == reason) {
                            Some(n) => n + 1,
                            None => {
                                notes.push(reason);
                                notes.len()
                            }
                        };
                        format!("UNSUPPORTED [{n}]")
                    }
                };
                let _ = writeln!(s, "    {:<width$}  {:<6} {:<22} {support}", i.name, i.ty.kind(), i.ty.describe());
            }
        }
        for (n, reason) in notes.iter().enumerate() {
            let _ = writeln!(s, "  [{}] {reason}", n + 1);
        }
        let _ = writeln!(s, "\nexports: {}", self.exports.len());
        for e in &self.exports {
            let _ = writeln!(s, "    {}  {} {}", e.name, e.ty.kind(), e.ty.describe());
        }
        if self.kind == BinaryKind::CoreModule {
            let _ = writeln!(s, "\nmemories: {}", self.memories.len());
            for m in &self.memories {
                let max = m.maximum_pages.map_or("none".to_string(), |m| m.to_string());
                let _ = writeln!(
                    s,
                    "    #{}{}: initial {} pages ({} MiB), maximum {max}{}{}",
                    m.index,
                    if m.imported { " (imported)" } else { "" },
                    m.initial_pages,
                    m.initial_pages * 64 / 1024,
                    if m.shared { ", shared" } else { "" },
                    if m.memory64 { ", 64-bit" } else { "" },
                );
            }
            let _ = writeln!(s, "tables: {}", self.tables.len());
            for t in &self.tables {
                let max = t.maximum.map_or("none".to_string(), |m| m.to_string());
                let _ = writeln!(s, "    #{}{}: {} initial {}, maximum {max}", t.index, if t.imported { " (imported)" } else { "" }, t.element, t.initial);
            }
        }
        let _ = writeln!(s, "custom sections: {}", self.custom_sections.len());
        for c in &self.custom_sections {
            let _ = writeln!(s, "    {} ({} bytes)", c.name, c.size);
        }
        let _ = writeln!(s, "\nverdict: {}", self.verdict.summary());
        s
    }
}
