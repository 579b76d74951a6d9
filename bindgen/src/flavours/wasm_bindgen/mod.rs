//! Rust wasm-bindgen modules: detected (raw cargo output or processed by the wasm-bindgen CLI)
//! with the version its schema section or producers entry records; not rewritten yet.

use crate::frontend::{quote_list, Detection, Frontend, Options, Plan, Toolchain};
use crate::module::{Import, Input};
use crate::support::Support;

/// The frontend of wasm-bindgen modules.
pub struct WasmBindgen;

/// The custom section raw cargo output carries, describing every import and export.
const SCHEMA_SECTION: &str = "__wasm_bindgen_unstable";

/// Why a wasm-bindgen module is not rewritten.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("this flavour is planned, not implemented")]
    NotImplemented,
}

impl Frontend for WasmBindgen {
    fn name(&self) -> &'static str {
        "wasm-bindgen"
    }

    fn describe(&self) -> &'static str {
        "Rust wasm-bindgen module"
    }

    /// Raw cargo output carries the schema section and placeholder imports; processed output
    /// imports `__wbg_*` / `__wbindgen_*` from the generated `*_bg.js`.
    fn detect(&self, input: &Input) -> Option<Detection> {
        let info = &input.info;
        let count =
            |pred: &dyn Fn(&str, &str) -> bool| info.imports.iter().filter(|i| pred(&i.module, &i.name)).count();
        let placeholder = count(&|m, _| m == "__wbindgen_placeholder__" || m == "__wbindgen_externref_xform__");
        let wbg = count(&|_, n| is_wbg(n));
        let schema = schema(input);
        if schema.is_none() && placeholder == 0 && wbg == 0 {
            return None;
        }
        let mut evidence = Vec::new();
        if info.has_custom_section(SCHEMA_SECTION) {
            evidence
                .push("has the __wasm_bindgen_unstable custom section (raw cargo output, before wasm-bindgen)".into());
        }
        if placeholder > 0 {
            evidence.push(format!(
                "imports {placeholder} functions from __wbindgen_placeholder__/__wbindgen_externref_xform__"
            ));
        } else if wbg > 0 {
            let modules: Vec<&str> = info
                .import_modules()
                .into_iter()
                .filter(|m| info.imports.iter().any(|i| &i.module == m && is_wbg(&i.name)))
                .collect();
            evidence.push(format!(
                "imports {wbg} __wbg_/__wbindgen_ functions from {} (processed by wasm-bindgen)",
                quote_list(&modules)
            ));
        }
        Some(Detection { evidence, toolchain: Some(toolchain(input, schema)), ..Detection::default() })
    }

    fn support(&self, _input: &Input, _import: &Import) -> Support {
        Support::Unsupported { reason: "rewriting wasm-bindgen imports is not implemented yet".into() }
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

fn is_wbg(name: &str) -> bool {
    name.starts_with("__wbg_") || name.starts_with("__wbindgen_")
}

fn toolchain(input: &Input, schema: Option<(String, String)>) -> Toolchain {
    if let Some((schema, version)) = schema {
        return Toolchain {
            name: "wasm-bindgen".into(),
            version: Some(version),
            source: format!("__wasm_bindgen_unstable section (schema {schema})"),
        };
    }
    if let Some(p) = input.info.producer("processed-by", "wasm-bindgen") {
        return Toolchain {
            name: "wasm-bindgen".into(),
            version: Some(p.version.clone()),
            source: "producers section".into(),
        };
    }
    Toolchain { name: "wasm-bindgen".into(), version: None, source: "no schema section and no producers entry".into() }
}

/// `(schema_version, version)` from the last schema section: its first program opens with a
/// u32 length and a JSON object naming the schema and crate versions.
fn schema(input: &Input) -> Option<(String, String)> {
    read_schema(input.custom_sections(SCHEMA_SECTION).last()?)
}

fn read_schema(data: &[u8]) -> Option<(String, String)> {
    let len = u32::from_le_bytes(data.get(..4)?.try_into().ok()?) as usize;
    let json: serde_json::Value = serde_json::from_slice(data.get(4..4usize.checked_add(len)?)?).ok()?;
    Some((json.get("schema_version")?.as_str()?.to_string(), json.get("version")?.as_str()?.to_string()))
}
