//! Composing a guest component with its shim into one component whose imports are WASI only,
//! and validating what we write.

use anyhow::{bail, Context, Result};
use wasm_compose::graph::{Component, CompositionGraph, EncodeOptions};

/// Instantiates `shim`, feeds its exports to every matching import of `guest`, and exports the
/// guest's exports. The shim's own imports (WASI) become the result's imports, except those
/// `stand_ins` (see [`crate::proxy`]) exports: that component is instantiated first and feeds
/// them.
pub fn compose(guest: &[u8], shim: &[u8], stand_ins: Option<&[u8]>) -> Result<Vec<u8>> {
    let mut graph = CompositionGraph::new();
    // One validator for both: wasm-compose compares types across components through it.
    let mut validator = wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all());
    let shim = Component::from_bytes(&mut validator, "shim", shim).context("reading the shim component")?;
    let guest = Component::from_bytes(&mut validator, "guest", guest).context("reading the guest component")?;
    let shim_id = graph.add_component(shim)?;
    let guest_id = graph.add_component(guest)?;
    let shim_instance = graph.instantiate(shim_id)?;
    let guest_instance = graph.instantiate(guest_id)?;
    if let Some(stand_ins) = stand_ins {
        let stand_ins =
            Component::from_bytes(&mut validator, "stand-ins", stand_ins).context("reading the stand-ins component")?;
        let stand_ins_id = graph.add_component(stand_ins)?;
        let stand_ins_instance = graph.instantiate(stand_ins_id)?;
        let exports: Vec<(wasm_compose::graph::ExportIndex, String)> =
            graph.get_component(stand_ins_id).unwrap().exports().map(|(i, name, ..)| (i, name.to_string())).collect();
        let shim_imports: Vec<(wasm_compose::graph::ImportIndex, String)> =
            graph.get_component(shim_id).unwrap().imports().map(|(i, name, _)| (i, name.to_string())).collect();
        for (export, name) in exports {
            let Some((import, _)) = shim_imports.iter().find(|(_, n)| *n == name) else {
                bail!("the stand-ins export {name}, which the shim does not import");
            };
            graph
                .connect(stand_ins_instance, Some(export), shim_instance, *import)
                .with_context(|| format!("connecting the stand-in for {name}"))?;
        }
    }
    let imports: Vec<(wasm_compose::graph::ImportIndex, String)> =
        graph.get_component(guest_id).unwrap().imports().map(|(i, name, _)| (i, name.to_string())).collect();
    for (index, name) in imports {
        // WASI interfaces the guest names itself (wasi:http types it passes to the shim) stay
        // imports of the result; wasm-compose merges them with the shim's import of the same
        // name, so both sides see the same resource types.
        if name.starts_with("wasi:") {
            continue;
        }
        let Some((export, _, _)) = graph.get_component(shim_id).unwrap().export_by_name(&name) else {
            bail!("the shim does not export {name}, which the rewritten module imports (shim and rewriter out of date with each other?)");
        };
        graph
            .connect(shim_instance, Some(export), guest_instance, index)
            .with_context(|| format!("connecting {name}"))?;
    }
    graph.encode(EncodeOptions { define_components: true, export: Some(guest_instance), validate: false })
}

/// Validates a component with every feature wasmtime accepts by default.
pub fn validate(component: &[u8]) -> Result<()> {
    let mut validator = wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all());
    validator.validate_all(component).context("the composed component does not validate")?;
    Ok(())
}
