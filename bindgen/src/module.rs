//! Reading a WebAssembly binary into a summary: imports, exports, memories, tables, custom
//! sections, and where its data segments lie. The binary is validated while it is read, so a
//! summary always describes a well-formed module or component.
//!
//! Nothing here knows a toolchain: frontends look for their own markers (version strings in the
//! data, schema sections) through [`Input`], the bytes and their summary together.

use crate::error::InputError;
use serde::Serialize;
use std::ops::Range;
use std::path::{Path, PathBuf};
use wasmparser::{CompositeInnerType, ExternalKind, Parser, Payload, TypeRef, Validator, WasmFeatures};

/// Core module or component (the binary's layer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BinaryKind {
    CoreModule,
    Component,
}

/// A function signature, printed as `(i32, i64) -> f64`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FuncSig {
    pub params: Vec<String>,
    pub results: Vec<String>,
}

impl std::fmt::Display for FuncSig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "({})", self.params.join(", "))?;
        match self.results.len() {
            0 => Ok(()),
            1 => write!(f, " -> {}", self.results[0]),
            _ => write!(f, " -> ({})", self.results.join(", ")),
        }
    }
}

/// What an import or export refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ItemType {
    Func {
        signature: String,
    },
    Memory {
        description: String,
    },
    Table {
        description: String,
    },
    Global {
        description: String,
    },
    Tag {
        signature: String,
    },
    /// A component-level item (instance, function, type, module, component, value).
    Component {
        description: String,
    },
}

impl ItemType {
    pub fn kind(&self) -> &'static str {
        match self {
            ItemType::Func { .. } => "func",
            ItemType::Memory { .. } => "memory",
            ItemType::Table { .. } => "table",
            ItemType::Global { .. } => "global",
            ItemType::Tag { .. } => "tag",
            ItemType::Component { .. } => "component-item",
        }
    }
    pub fn describe(&self) -> &str {
        match self {
            ItemType::Func { signature } | ItemType::Tag { signature } => signature,
            ItemType::Memory { description }
            | ItemType::Table { description }
            | ItemType::Global { description }
            | ItemType::Component { description } => description,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Import {
    /// Core: the import's module name. Components: empty (imports have one name).
    pub module: String,
    pub name: String,
    #[serde(flatten)]
    pub ty: ItemType,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Export {
    pub name: String,
    #[serde(flatten)]
    pub ty: ItemType,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Memory {
    pub index: u32,
    pub imported: bool,
    /// In 64 KiB pages (or the custom page size, when one is set).
    pub initial_pages: u64,
    pub maximum_pages: Option<u64>,
    pub shared: bool,
    pub memory64: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    pub index: u32,
    pub imported: bool,
    pub element: String,
    pub initial: u64,
    pub maximum: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomSection {
    pub name: String,
    pub size: usize,
    /// Where the section's contents lie in the binary (not part of the JSON report).
    #[serde(skip)]
    pub range: Range<usize>,
}

/// One entry of the `producers` custom section (`language Go go1.27.3`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Producer {
    pub field: String,
    pub name: String,
    pub version: String,
}

/// Everything inspection and detection know about one binary.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleInfo {
    pub kind: BinaryKind,
    pub size: usize,
    pub imports: Vec<Import>,
    pub exports: Vec<Export>,
    pub memories: Vec<Memory>,
    pub tables: Vec<Table>,
    pub custom_sections: Vec<CustomSection>,
    pub producers: Vec<Producer>,
    /// Where the contents of each data segment lie in the binary, in order (top level only).
    pub data_segments: Vec<Range<usize>>,
}

impl ModuleInfo {
    pub fn export(&self, name: &str) -> Option<&Export> {
        self.exports.iter().find(|e| e.name == name)
    }
    pub fn has_export(&self, name: &str) -> bool {
        self.export(name).is_some()
    }
    pub fn has_custom_section(&self, name: &str) -> bool {
        self.custom_sections.iter().any(|c| c.name == name)
    }
    pub fn producer(&self, field: &str, name: &str) -> Option<&Producer> {
        self.producers.iter().find(|p| p.field == field && p.name == name)
    }
    /// Distinct import module names, in first-seen order.
    pub fn import_modules(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = Vec::new();
        for i in &self.imports {
            if !seen.contains(&i.module.as_str()) {
                seen.push(&i.module);
            }
        }
        seen
    }
}

/// A binary handed to frontends: where it came from, its bytes and their summary.
#[derive(Debug, Clone)]
pub struct Input {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    pub info: ModuleInfo,
}

impl Input {
    /// Reads the file at `path` and summarises it, validating everything.
    pub fn read(path: &Path) -> Result<Input, InputError> {
        Input::read_checked(path, Check::Full)
    }

    /// [`Input::read`] with a choice of how much to validate.
    pub fn read_checked(path: &Path, check: Check) -> Result<Input, InputError> {
        Input::from_bytes(path, read_bytes(path)?, check)
    }

    /// Summarises `bytes` (named `path` in errors).
    pub fn from_bytes(path: &Path, bytes: Vec<u8>, check: Check) -> Result<Input, InputError> {
        let info = parse_checked(path, &bytes, check)?;
        Ok(Input { path: path.to_path_buf(), bytes, info })
    }

    /// The contents of each data segment, in order.
    pub fn data_segments(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.info.data_segments.iter().map(|r| &self.bytes[r.clone()])
    }

    /// The contents of every custom section called `name`, in order.
    pub fn custom_sections(&self, name: &str) -> impl Iterator<Item = &[u8]> + '_ {
        let name = name.to_string();
        self.info.custom_sections.iter().filter(move |c| c.name == name).map(|c| &self.bytes[c.range.clone()])
    }
}

/// Reads and summarises the file at `path`.
pub fn read_file(path: &Path) -> Result<ModuleInfo, InputError> {
    parse(path, &read_bytes(path)?)
}

/// The bytes of the file at `path`, with the errors `inspect` and `rewrite` report.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, InputError> {
    let meta = std::fs::metadata(path).map_err(|error| InputError::Read { path: path.into(), error })?;
    if meta.is_dir() {
        return Err(InputError::Directory { path: path.into() });
    }
    std::fs::read(path).map_err(|error| InputError::Read { path: path.into(), error })
}

/// How much of a binary `parse` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Everything, function bodies included: what `inspect` reports on.
    Full,
    /// Sections, types, imports and exports, not function bodies: for callers that hand the
    /// bytes to a validating parser next (rewrite's walrus parse).
    Structure,
}

/// Summarises `bytes` (named `path` in errors), validating them on the way.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<ModuleInfo, InputError> {
    parse_checked(path, bytes, Check::Full)
}

/// [`parse`] with a choice of how much to validate.
pub fn parse_checked(path: &Path, bytes: &[u8], check: Check) -> Result<ModuleInfo, InputError> {
    let kind = check_header(path, bytes)?;
    let mut info = ModuleInfo {
        kind,
        size: bytes.len(),
        imports: Vec::new(),
        exports: Vec::new(),
        memories: Vec::new(),
        tables: Vec::new(),
        custom_sections: Vec::new(),
        producers: Vec::new(),
        data_segments: Vec::new(),
    };
    // Where the last complete section ended: errors on the next one are reported from there.
    let section_end = std::cell::Cell::new(8usize);
    let err = |e| InputError::from_parser(path, bytes, section_end.get(), e);
    let mut validator = Validator::new_with_features(WasmFeatures::all());
    let mut func_types: Vec<FuncSig> = Vec::new();
    let mut func_type_indices: Vec<u32> = Vec::new();
    let mut imported = ImportedCounts::default();
    // Nested modules and components (inside a component) are validated but not summarised.
    let mut depth = 0usize;

    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(err)?;
        if let Some((_, range)) = payload.as_section() {
            section_end.set(range.end as usize);
        }
        if let wasmparser::ValidPayload::Func(func, body) = validator.payload(&payload).map_err(err)? {
            if check == Check::Structure {
                continue;
            }
            let mut allocs = wasmparser::FuncValidatorAllocations::default();
            func.into_validator(std::mem::take(&mut allocs)).validate(&body).map_err(err)?;
        }
        match payload {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            Payload::TypeSection(reader) => {
                for group in reader {
                    for sub in group.map_err(err)?.into_types() {
                        func_types.push(match &sub.composite_type.inner {
                            CompositeInnerType::Func(f) => sig(f),
                            // Non-function types keep their index slot.
                            _ => FuncSig { params: vec![], results: vec![] },
                        });
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for imp in reader.into_imports() {
                    let imp = imp.map_err(err)?;
                    let ty = match imp.ty {
                        TypeRef::Func(t) | TypeRef::FuncExact(t) => {
                            func_type_indices.push(t);
                            ItemType::Func { signature: type_sig(&func_types, t) }
                        }
                        TypeRef::Memory(m) => {
                            info.memories.push(memory(imported.memories, true, &m));
                            imported.memories += 1;
                            ItemType::Memory { description: memory_desc(&m) }
                        }
                        TypeRef::Table(t) => {
                            info.tables.push(table(imported.tables, true, &t));
                            imported.tables += 1;
                            ItemType::Table { description: table_desc(&t) }
                        }
                        TypeRef::Global(g) => ItemType::Global { description: global_desc(&g) },
                        TypeRef::Tag(t) => ItemType::Tag { signature: type_sig(&func_types, t.func_type_idx) },
                    };
                    info.imports.push(Import { module: imp.module.to_string(), name: imp.name.to_string(), ty });
                }
            }
            Payload::FunctionSection(reader) => {
                for t in reader {
                    func_type_indices.push(t.map_err(err)?);
                }
            }
            Payload::MemorySection(reader) => {
                for m in reader {
                    let index = info.memories.len() as u32;
                    info.memories.push(memory(index, false, &m.map_err(err)?));
                }
            }
            Payload::TableSection(reader) => {
                for t in reader {
                    let index = info.tables.len() as u32;
                    info.tables.push(table(index, false, &t.map_err(err)?.ty));
                }
            }
            Payload::ExportSection(reader) => {
                for e in reader {
                    let e = e.map_err(err)?;
                    let ty = match e.kind {
                        ExternalKind::Func | ExternalKind::FuncExact => ItemType::Func {
                            signature: func_type_indices
                                .get(e.index as usize)
                                .map(|t| type_sig(&func_types, *t))
                                .unwrap_or_default(),
                        },
                        ExternalKind::Memory => ItemType::Memory {
                            description: info
                                .memories
                                .get(e.index as usize)
                                .map(|m| format!("memory #{}", m.index))
                                .unwrap_or_default(),
                        },
                        ExternalKind::Table => ItemType::Table { description: format!("table #{}", e.index) },
                        ExternalKind::Global => ItemType::Global { description: format!("global #{}", e.index) },
                        ExternalKind::Tag => ItemType::Tag { signature: format!("tag #{}", e.index) },
                    };
                    info.exports.push(Export { name: e.name.to_string(), ty });
                }
            }
            Payload::DataSection(reader) => {
                for d in reader {
                    let d = d.map_err(err)?;
                    // The segment's contents end its entry (after the mode and offset).
                    let end = d.range.end as usize;
                    info.data_segments.push(end - d.data.len()..end);
                }
            }
            Payload::CustomSection(reader) => {
                let start = reader.data_offset() as usize;
                info.custom_sections.push(CustomSection {
                    name: reader.name().to_string(),
                    size: reader.data().len(),
                    range: start..start + reader.data().len(),
                });
                if reader.name() == "producers" {
                    read_producers(&mut info.producers, reader.data(), reader.data_offset());
                }
            }
            Payload::ComponentImportSection(reader) => {
                for imp in reader {
                    let imp = imp.map_err(err)?;
                    info.imports.push(Import {
                        module: String::new(),
                        name: imp.name.name.to_string(),
                        ty: ItemType::Component { description: component_type_desc(&imp.ty) },
                    });
                }
            }
            Payload::ComponentExportSection(reader) => {
                for e in reader {
                    let e = e.map_err(err)?;
                    info.exports.push(Export {
                        name: e.name.name.to_string(),
                        ty: ItemType::Component { description: format!("{:?}", e.kind).to_lowercase() },
                    });
                }
            }
            _ => {}
        }
    }
    Ok(info)
}

#[derive(Default)]
struct ImportedCounts {
    memories: u32,
    tables: u32,
}

fn check_header(path: &Path, bytes: &[u8]) -> Result<BinaryKind, InputError> {
    if bytes.is_empty() {
        return Err(InputError::Empty { path: path.into() });
    }
    if !bytes.starts_with(b"\0asm") {
        let hint = if bytes.starts_with(b"(module") || bytes.starts_with(b"(component") {
            "; it looks like WebAssembly text: assemble it with wat2wasm or wasm-tools parse first"
        } else if bytes.starts_with(b"\x7fELF") {
            "; it is an ELF executable"
        } else {
            ""
        };
        return Err(InputError::NotWasm { path: path.into(), hint });
    }
    if bytes.len() < 8 {
        return Err(InputError::Truncated { path: path.into(), offset: bytes.len(), len: bytes.len() });
    }
    let version = u32::from_le_bytes(bytes[4..8].try_into().unwrap());
    match version {
        1 => Ok(BinaryKind::CoreModule),
        0x1_000d => Ok(BinaryKind::Component),
        _ => Err(InputError::UnknownVersion { path: path.into(), version }),
    }
}

fn val(t: &wasmparser::ValType) -> String {
    t.to_string()
}

fn sig(f: &wasmparser::FuncType) -> FuncSig {
    FuncSig { params: f.params().iter().map(val).collect(), results: f.results().iter().map(val).collect() }
}

fn type_sig(types: &[FuncSig], index: u32) -> String {
    types.get(index as usize).map(|s| s.to_string()).unwrap_or_else(|| format!("type #{index}"))
}

fn memory(index: u32, imported: bool, m: &wasmparser::MemoryType) -> Memory {
    Memory {
        index,
        imported,
        initial_pages: m.initial,
        maximum_pages: m.maximum,
        shared: m.shared,
        memory64: m.memory64,
    }
}

fn memory_desc(m: &wasmparser::MemoryType) -> String {
    let mut s = format!("{}{}", if m.memory64 { "i64 " } else { "" }, m.initial);
    if let Some(max) = m.maximum {
        s += &format!("..{max}");
    }
    s += " pages";
    if m.shared {
        s += " shared";
    }
    s
}

fn table(index: u32, imported: bool, t: &wasmparser::TableType) -> Table {
    Table { index, imported, element: t.element_type.to_string(), initial: t.initial, maximum: t.maximum }
}

fn table_desc(t: &wasmparser::TableType) -> String {
    match t.maximum {
        Some(max) => format!("{} {}..{max}", t.element_type, t.initial),
        None => format!("{} {}", t.element_type, t.initial),
    }
}

fn global_desc(g: &wasmparser::GlobalType) -> String {
    if g.mutable {
        format!("mut {}", g.content_type)
    } else {
        g.content_type.to_string()
    }
}

fn component_type_desc(t: &wasmparser::ComponentTypeRef) -> String {
    use wasmparser::ComponentTypeRef as R;
    match t {
        R::Module(_) => "module".into(),
        R::Func(_) => "func".into(),
        R::Value(_) => "value".into(),
        R::Type(_) => "type".into(),
        R::Instance(_) => "instance".into(),
        R::Component(_) => "component".into(),
    }
}

/// Reads the `producers` section; a malformed one is ignored (it is informational only).
fn read_producers(out: &mut Vec<Producer>, data: &[u8], offset: u64) {
    let reader = wasmparser::BinaryReader::new(data, offset);
    let Ok(section) = wasmparser::ProducersSectionReader::new(reader) else { return };
    for field in section.into_iter().flatten() {
        for value in field.values.into_iter().flatten() {
            out.push(Producer {
                field: field.name.to_string(),
                name: value.name.to_string(),
                version: value.version.to_string(),
            });
        }
    }
}

/// Where `needle` first occurs in `haystack`: for frontends looking for markers in the data.
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
