//! `inspect`: what a binary is, what it imports and whether it can run on a WASI host.
//!
//! The JSON form of [`Report`] is a stable interface (documented in `docs/inspect-json.md`);
//! `FORMAT_VERSION` changes whenever a field changes meaning or disappears.

use crate::error::InputError;
use crate::frontend::{quote_list, AppKind, Flavour, Toolchain};
use crate::module::{BinaryKind, CustomSection, Export, Input, ItemType, Memory, Table};
use crate::registry::{Detected, Registry};
use crate::support::Support;
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
    /// What the flavour is, for people (`WebAssembly component`).
    #[serde(skip)]
    pub describe: &'static str,
    pub evidence: Vec<String>,
    pub toolchain: Option<Toolchain>,
    /// `command` or `http-handler`: what `rewrite` makes of the program, where its frontend
    /// can tell; null otherwise.
    pub app: Option<AppKind>,
    /// Whether the program uses the host's key-value stores (`rewrite` then adds the
    /// `wasi:keyvalue` binding), where its frontend can tell; null otherwise.
    pub key_value_stores: Option<bool>,
    pub imports: Vec<ImportGroup>,
    pub exports: Vec<Export>,
    pub memories: Vec<Memory>,
    pub tables: Vec<Table>,
    pub custom_sections: Vec<CustomSection>,
    pub verdict: Verdict,
    /// The text report's lines about the program (`app: …` and the frontend's notes).
    #[serde(skip)]
    pub about: Vec<String>,
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
            Verdict::RunsAsIs { summary }
            | Verdict::NeedsRewrite { summary, .. }
            | Verdict::CannotRun { summary, .. } => summary,
        }
    }
}

/// Reads `path` and builds its report with the built-in frontends.
pub fn inspect_file(path: &Path) -> Result<Report, InputError> {
    inspect_with(&Registry::default(), path)
}

/// Reads `path` and builds its report with the frontends of `registry`.
pub fn inspect_with(registry: &Registry, path: &Path) -> Result<Report, InputError> {
    Ok(report_with(registry, &Input::read(path)?))
}

/// Builds the report of an already-read binary, with the built-in frontends.
pub fn report(input: &Input) -> Report {
    report_with(&Registry::default(), input)
}

/// Builds the report of an already-read binary.
pub fn report_with(registry: &Registry, input: &Input) -> Report {
    let info = &input.info;
    let detected = registry.detect(input);
    let mut imports: Vec<ImportGroup> = Vec::new();
    for imp in &info.imports {
        let item = ImportItem { name: imp.name.clone(), ty: imp.ty.clone(), support: detected.support(input, imp) };
        match imports.iter_mut().find(|g| g.module == imp.module) {
            Some(g) => g.items.push(item),
            None => imports.push(ImportGroup { module: imp.module.clone(), items: vec![item] }),
        }
    }
    let mut verdict = verdict(&detected, input, &imports);
    if let Err(e) = detected.check(input) {
        let unsupported = imports.iter().flat_map(|g| &g.items).filter(|i| i.support.is_unsupported()).count();
        verdict = Verdict::CannotRun { summary: format!("cannot be rewritten: {e}"), unsupported };
    }
    let Detected { frontend, detection } = detected;
    let mut about = Vec::new();
    if let Some(app) = &detection.app {
        about.push(format!("app: {} ({})", app.kind, app.how));
    }
    about.extend(detection.notes);
    Report {
        format_version: FORMAT_VERSION,
        file: input.path.display().to_string(),
        size: info.size,
        kind: info.kind,
        flavour: Flavour::new(frontend.name()),
        describe: frontend.describe(),
        evidence: detection.evidence,
        toolchain: detection.toolchain,
        app: detection.app.map(|a| a.kind),
        key_value_stores: detection.key_value_stores,
        imports,
        exports: info.exports.clone(),
        memories: info.memories.clone(),
        tables: info.tables.clone(),
        custom_sections: info.custom_sections.clone(),
        verdict,
        about,
    }
}

fn verdict(detected: &Detected<'_>, input: &Input, groups: &[ImportGroup]) -> Verdict {
    let frontend = detected.frontend;
    let items = || groups.iter().flat_map(|g| g.items.iter());
    let unsupported = items().filter(|i| i.support.is_unsupported()).count();
    let non_wasi: Vec<&ImportGroup> =
        groups.iter().filter(|g| g.items.iter().any(|i| i.support != Support::Wasi)).collect();
    let non_wasi_count = items().filter(|i| i.support != Support::Wasi).count();
    if non_wasi_count == 0 {
        return Verdict::RunsAsIs {
            summary: format!("runs on WASI as is: every import is WASI; {}", frontend.hosts(input)),
        };
    }
    let names: Vec<&str> = non_wasi.iter().map(|g| g.module.as_str()).collect();
    let plural = |n: usize, one: &str, many: &str| if n == 1 { one.to_string() } else { many.to_string() };
    if frontend.passes_through() {
        return Verdict::CannotRun {
            summary: format!(
                "cannot run: {unsupported} {} no WASI host or rewrite provides{}",
                plural(unsupported, "import that", "imports that"),
                if names.iter().all(|n| n.is_empty()) {
                    String::new()
                } else {
                    format!(" (from {})", quote_list(&names))
                }
            ),
            unsupported,
        };
    }
    let mut summary = format!(
        "needs a rewrite: {non_wasi_count} {} from {} {} ({})",
        plural(non_wasi_count, "import", "imports"),
        names.len(),
        plural(names.len(), "module", "modules"),
        quote_list(&names)
    );
    if unsupported == 0 {
        summary += "; `wasm-server-bindgen rewrite` replaces all of them";
    } else if unsupported == non_wasi_count {
        summary += &format!("; rewriting does not support {} yet", frontend.describe());
    } else {
        summary += &format!("; {unsupported} of them are not supported by rewrite yet (listed above)");
    }
    Verdict::NeedsRewrite { summary, imports: non_wasi_count, modules: names.len(), unsupported }
}

impl Report {
    /// The report as a human reads it.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{}: {} ({} bytes)", self.file, self.describe, self.size);
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
        for line in &self.about {
            let _ = writeln!(s, "{line}");
        }
        let total: usize = self.imports.iter().map(|g| g.items.len()).sum();
        let _ = writeln!(
            s,
            "\nimports: {total} from {} {}",
            self.imports.len(),
            if self.imports.len() == 1 { "module" } else { "modules" }
        );
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
                let _ = writeln!(
                    s,
                    "    #{}{}: {} initial {}, maximum {max}",
                    t.index,
                    if t.imported { " (imported)" } else { "" },
                    t.element,
                    t.initial
                );
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
