//! WebAssembly components: they run on WASI 0.2 hosts as they are (when their imports are WASI),
//! so `rewrite` refuses them; `inspect` says which hosts run them.

use crate::frontend::{Detection, Frontend, Options, Plan, Toolchain};
use crate::module::{BinaryKind, Import, Input};
use crate::proxy::{beyond_proxy_world, Beyond};
use crate::support::Support;
use std::path::PathBuf;

/// The frontend of components.
pub struct Component;

/// Why a component is not rewritten.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("{path}: is already a component; rewrite takes the core module a browser toolchain emits (components run on WASI hosts as they are: see `inspect`)")]
    AlreadyAComponent { path: PathBuf },
}

impl Frontend for Component {
    fn name(&self) -> &'static str {
        "component"
    }

    fn describe(&self) -> &'static str {
        "WebAssembly component"
    }

    fn layer(&self) -> BinaryKind {
        BinaryKind::Component
    }

    fn passes_through(&self) -> bool {
        true
    }

    fn detect(&self, input: &Input) -> Option<Detection> {
        let info = &input.info;
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
        Some(Detection { evidence, toolchain: Toolchain::from_producers(input), ..Detection::default() })
    }

    fn support(&self, _input: &Input, import: &Import) -> Support {
        if import.name.starts_with("wasi:") {
            Support::Wasi
        } else {
            Support::Unsupported {
                reason: "not a WASI interface: the host must provide it (compose a component that exports it)".into(),
            }
        }
    }

    fn hosts(&self, input: &Input) -> String {
        if input.info.exports.iter().any(|e| e.name.starts_with("wasi:http/incoming-handler@")) {
            proxy_hosts(input)
        } else {
            "any WASI 0.2 host (wasmtime run/serve, Spin, …)".into()
        }
    }

    fn plan(
        &self,
        input: &Input,
        _detection: &Detection,
        _options: &Options,
    ) -> Result<Plan, crate::frontend::Refusal> {
        Err(crate::frontend::Refusal::input(Refusal::AlreadyAComponent { path: input.path.clone() }))
    }
}

/// Where an HTTP handler component runs: any wasi:http/proxy host when it imports only that
/// world, else only hosts that link what it imports beyond it (named, with the flag stock
/// `wasmtime serve` needs).
fn proxy_hosts(input: &Input) -> String {
    let names = || input.info.imports.iter().map(|i| i.name.as_str());
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
