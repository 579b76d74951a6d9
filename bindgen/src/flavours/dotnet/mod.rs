//! The .NET (mono) browser-wasm runtime: detected by its mono imports, with the runtime version
//! string from its data; not rewritten yet. The runtime is built with emscripten, so this
//! frontend is asked before emscripten's.

use crate::frontend::{Detection, Frontend, Options, Plan, Toolchain};
use crate::module::{find, Import, Input};
use crate::support::Support;

/// The frontend of .NET's browser-wasm runtime.
pub struct Dotnet;

/// Why a .NET runtime is not rewritten.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("this flavour is planned, not implemented")]
    NotImplemented,
}

impl Frontend for Dotnet {
    fn name(&self) -> &'static str {
        "dotnet-mono"
    }

    fn describe(&self) -> &'static str {
        ".NET (mono) browser-wasm runtime"
    }

    fn detect(&self, input: &Input) -> Option<Detection> {
        let info = &input.info;
        let mono = info
            .imports
            .iter()
            .filter(|i| i.module == "env" && (i.name.starts_with("mono_wasm_") || i.name.starts_with("mono_interp_")))
            .count();
        if mono == 0 {
            return None;
        }
        let mut evidence = vec![format!("imports {mono} mono_wasm_*/mono_interp_* functions from \"env\"")];
        let em = super::emscripten::runtime_import_count(info);
        if em > 0 {
            evidence.push(format!(
                "imports {em} emscripten runtime functions from \"env\" (the runtime is built with emscripten)"
            ));
        }
        let toolchain = match input.data_segments().find_map(find_version) {
            Some(v) => Toolchain {
                name: ".NET".into(),
                version: Some(v),
                source: "runtime version string in a data segment".into(),
            },
            None => Toolchain { name: ".NET".into(), version: None, source: "no version string in the data".into() },
        };
        Some(Detection { evidence, toolchain: Some(toolchain), ..Detection::default() })
    }

    fn support(&self, _input: &Input, _import: &Import) -> Support {
        Support::Unsupported { reason: "rewriting the .NET browser runtime's imports is not implemented yet".into() }
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

/// `<major>.<minor>.<build>.<rev> @Commit: <hash>` (the .NET product version string).
fn find_version(data: &[u8]) -> Option<String> {
    let pos = find(data, b" @Commit: ")?;
    let start = pos - data[..pos].iter().rev().take_while(|b| b.is_ascii_digit() || **b == b'.').count();
    let hash_end = pos + 10 + data[pos + 10..].iter().take_while(|b| b.is_ascii_hexdigit()).count();
    (start < pos).then(|| String::from_utf8_lossy(&data[start..hash_end]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_with_commit() {
        let d = b"\x0010.0.1026.32716 @Commit: f7d90799ce\0rest";
        assert_eq!(find_version(d), Some("10.0.1026.32716 @Commit: f7d90799ce".into()));
        assert_eq!(find_version(b" @Commit: abc"), None);
    }
}
