//! Building the guest: Go's module with its forward jumps threaded (see [`super::jumps`]), every
//! `gojs` import replaced by its adapter, `cabi_realloc` and the entry point added (see
//! `adapters`), then wrapped as a component of the gojs world for its app.

use super::{abi, adapters, jumps, wit};
use crate::frontend::{AppKind, Timings};
use anyhow::{Context, Result};
use std::time::Instant;
use walrus::ExportItem;

/// The rewritten guest as a component of world `gojs-command` or `gojs-proxy` that imports the
/// shim's interfaces: [`guest_core`] wrapped by wit-component.
pub fn guest_component(bytes: &[u8], app: AppKind, timings: &mut Timings) -> Result<Vec<u8>> {
    let contract = wit::Contract::load()?;
    let core = guest_core(&contract, bytes, app, timings)?;
    let t = Instant::now();
    let world = match app {
        AppKind::Command => contract.command_world,
        AppKind::HttpHandler => contract.proxy_world,
    };
    let component = crate::component::wrap(core, &contract.resolve, world)?;
    timings.push(("component", t.elapsed().as_secs_f64()));
    Ok(component)
}

/// The rewritten core module: every `gojs` import replaced by its adapter (which imports the
/// shim's WIT functions under their canonical-ABI names), plus `cabi_realloc` and the
/// `wasi:cli/run` entry point; Go's own exports made internal.
pub fn guest_core(contract: &wit::Contract, bytes: &[u8], app: AppKind, timings: &mut Timings) -> Result<Vec<u8>> {
    let t = Instant::now();
    let mut config = walrus::ModuleConfig::new();
    config.generate_producers_section(false);
    let mut module = config.parse(bytes).context("parsing the Go module")?;
    timings.push(("parse", t.elapsed().as_secs_f64()));

    let t = Instant::now();
    jumps::thread_forward_jumps(&mut module);
    timings.push(("jumps", t.elapsed().as_secs_f64()));

    let t = Instant::now();
    let func_export = |module: &walrus::Module, name: &str| -> Result<walrus::FunctionId> {
        match module.exports.iter().find(|e| e.name == name).map(|e| e.item) {
            Some(ExportItem::Function(f)) => Ok(f),
            _ => anyhow::bail!("Go module has no function export {name}"),
        }
    };
    let run = func_export(&module, abi::EXPORT_RUN)?;
    let resume = func_export(&module, abi::EXPORT_RESUME)?;
    let getsp = func_export(&module, abi::EXPORT_GETSP)?;
    let memory = match module.exports.iter().find(|e| e.name == abi::EXPORT_MEMORY).map(|e| e.item) {
        Some(ExportItem::Memory(m)) => m,
        _ => anyhow::bail!("Go module has no memory export {}", abi::EXPORT_MEMORY),
    };
    // httpserve's direct request path, when the module has all of it.
    let direct = (|| {
        Some(adapters::DirectExports {
            buffer: func_export(&module, abi::EXPORT_HTTP_BUFFER).ok()?,
            request: func_export(&module, abi::EXPORT_HTTP_REQUEST).ok()?,
            body: func_export(&module, abi::EXPORT_HTTP_BODY).ok()?,
            take: func_export(&module, abi::EXPORT_HTTP_TAKE).ok()?,
            cancel: func_export(&module, abi::EXPORT_HTTP_CANCEL).ok()?,
        })
    })();
    let go_imports: Vec<(walrus::FunctionId, &'static abi::GoImport)> = module
        .imports
        .iter()
        .filter(|i| i.module == abi::MODULE)
        .filter_map(|i| match i.kind {
            walrus::ImportKind::Function(f) => abi::import(&i.name).map(|g| (f, g)),
            _ => None,
        })
        .collect();
    let workers_ready: Vec<walrus::FunctionId> = module
        .imports
        .iter()
        .filter(|i| abi::is_workers_ready(&i.module, &i.name))
        .filter_map(|i| match i.kind {
            walrus::ImportKind::Function(f) => Some(f),
            _ => None,
        })
        .collect();

    // Go's exports become internal: the component exports wasi:cli/run instead, and the
    // canonical ABI wants the memory under the name "memory".
    let go_export_ids: Vec<_> = module
        .exports
        .iter()
        .filter(|e| {
            [abi::EXPORT_RUN, abi::EXPORT_RESUME, abi::EXPORT_GETSP, abi::EXPORT_MEMORY].contains(&e.name.as_str())
                || abi::HTTP_DIRECT_EXPORTS.iter().any(|(n, _)| *n == e.name)
        })
        .map(|e| e.id())
        .collect();
    for id in go_export_ids {
        module.exports.delete(id);
    }
    module.exports.add("memory", memory);

    let mut generator =
        adapters::Generator::new(&mut module, contract, adapters::GoExports { run, resume, getsp, memory });
    for (id, import) in go_imports {
        generator.replace_import(id, import)?;
    }
    generator.add_cabi_realloc();
    match app {
        AppKind::Command => {
            if !workers_ready.is_empty() {
                anyhow::bail!("the module imports workers.ready (an HTTP handler): rewrite it as an HTTP handler");
            }
            generator.add_command_entry()?;
        }
        AppKind::HttpHandler => {
            for id in workers_ready {
                generator.replace_workers_ready(id)?;
            }
            generator.add_proxy_entry(direct)?;
        }
    }
    let core = module.emit_wasm();
    timings.push(("adapters+emit", t.elapsed().as_secs_f64()));
    Ok(core)
}
