//! Rewriting Go `GOOS=js` modules: check the ABI, replace every `gojs` import with a generated
//! adapter, add the entry point, and wrap the result as a component of world `gojs-command`.

pub mod abi;
mod adapters;
pub mod jumps;
pub mod wit;

use crate::flavour::Toolchain;
use crate::module::{ItemType, ModuleInfo};
use crate::rewrite::RewriteError;
use anyhow::{Context, Result};
use std::time::Instant;
use walrus::ExportItem;

/// What a Go GOOS=js program is for, read from its imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum GoApp {
    /// A command: `main` runs, the program exits (wasm_exec_node.js's model).
    Command,
    /// An HTTP handler on the Workers fetch contract: it imports `workers.ready`.
    HttpHandler,
}

impl GoApp {
    pub fn of(info: &ModuleInfo) -> GoApp {
        if info.imports.iter().any(|i| abi::is_workers_ready(&i.module, &i.name)) {
            GoApp::HttpHandler
        } else {
            GoApp::Command
        }
    }
}

/// The Go package whose use means the program wants the host's key-value stores.
pub const KV_PACKAGE: &str = "wasm-server-bindgen/gojs/kv";

/// Whether the program uses [`KV_PACKAGE`]: the Go linker keeps the name of every function it
/// links in the runtime's function-name table (`wasm-server-bindgen/gojs/kv.Open`, in a data
/// segment; tracebacks need it, so `-ldflags=-s` keeps it too), and drops the package's
/// functions when the program does not call them.
pub fn uses_kv(wasm: &[u8]) -> bool {
    let name = format!("{KV_PACKAGE}.");
    wasm.windows(name.len()).any(|w| w == name.as_bytes())
}

/// Checks that `info` is a Go module whose ABI this rewriter knows; names every problem.
pub fn check_abi(info: &ModuleInfo, toolchain: Option<&Toolchain>) -> Result<(), RewriteError> {
    let version = toolchain.and_then(|t| t.version.clone());
    match version.as_deref().and_then(abi::go_minor) {
        Some(minor) if abi::KNOWN_GO_MINORS.contains(&minor) => {}
        _ => {
            return Err(RewriteError::UnknownGoVersion {
                found: version.unwrap_or_else(|| "no version recorded".into()),
                known: format!("go1.{}–go1.{}", abi::KNOWN_GO_MINORS.start(), abi::KNOWN_GO_MINORS.end()),
            })
        }
    }
    let mut problems = Vec::new();
    for imp in &info.imports {
        if abi::is_workers_ready(&imp.module, &imp.name) {
            // The HTTP handler entry: `rewrite` decides what to do with it (see GoApp).
        } else if imp.module != abi::MODULE {
            problems.push(format!(
                "{}::{} — not part of Go's GOOS=js ABI (a //go:wasmimport of the program?); no shim provides it",
                imp.module, imp.name
            ));
        } else if abi::import(&imp.name).is_none() {
            problems.push(format!("{}::{} — unknown to this rewriter (a newer Go release?)", imp.module, imp.name));
        } else if !matches!(&imp.ty, ItemType::Func { signature } if signature == "(i32)") {
            problems.push(format!("{}::{} — expected a function (i32) -> (), found {} {}", imp.module, imp.name, imp.ty.kind(), imp.ty.describe()));
        }
    }
    let expected_exports = [
        (abi::EXPORT_RUN, "func", Some("(i32, i32)")),
        (abi::EXPORT_RESUME, "func", Some("()")),
        (abi::EXPORT_GETSP, "func", Some("() -> i32")),
        (abi::EXPORT_MEMORY, "memory", None),
    ];
    for (name, kind, sig) in expected_exports {
        match info.export(name) {
            Some(e) if e.ty.kind() == kind && sig.is_none_or(|s| e.ty.describe() == s) => {}
            Some(e) => problems.push(format!("export {name} — expected {kind} {}, found {} {}", sig.unwrap_or(""), e.ty.kind(), e.ty.describe())),
            None => problems.push(format!("export {name} — missing (every GOOS=js module exports run, resume, getsp and mem)")),
        }
    }
    // httpserve's direct request path (Go 1.24+): optional, all or none, with these types.
    let direct_exports = abi::HTTP_DIRECT_EXPORTS;
    let present = direct_exports.iter().filter(|(n, _)| info.export(n).is_some()).count();
    if present > 0 {
        for (name, sig) in direct_exports {
            match info.export(name) {
                Some(e) if e.ty.kind() == "func" && e.ty.describe() == sig => {}
                Some(e) => problems.push(format!("export {name} — expected func {sig} (wasm-server-bindgen/gojs/httpserve's direct path), found {} {}", e.ty.kind(), e.ty.describe())),
                None => problems.push(format!("export {name} — missing: wasm-server-bindgen/gojs/httpserve's direct path exports all of {}", direct_exports.map(|(n, _)| n).join(", "))),
            }
        }
    }
    for e in &info.exports {
        if !expected_exports.iter().any(|(n, _, _)| *n == e.name) && !direct_exports.iter().any(|(n, _)| *n == e.name) {
            problems.push(format!("export {} — not part of Go's GOOS=js ABI (a //go:wasmexport?); the rewrite would drop it", e.name));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(RewriteError::UnsupportedGoAbi { problems })
    }
}

/// The rewritten guest as a component of world `gojs-command` that imports the shim's
/// interfaces: [`guest_core`] wrapped by wit-component.
pub fn guest_component(bytes: &[u8], app: GoApp, timings: &mut Vec<(&'static str, f64)>) -> Result<Vec<u8>> {
    let contract = wit::Contract::load()?;
    let mut core = guest_core(&contract, bytes, app, timings)?;
    let t = Instant::now();
    let world = match app {
        GoApp::Command => contract.command_world,
        GoApp::HttpHandler => contract.proxy_world,
    };
    wit_component::embed_component_metadata(&mut core, &contract.resolve, world, wit_component::StringEncoding::UTF8, false)?;
    // Not validated here: rewrite validates the composed component, which contains this one.
    let component = wit_component::ComponentEncoder::default()
        .validate(false)
        .module(&core)
        .context("wrapping the rewritten module as a component")?
        .encode()
        .context("encoding the guest component")?;
    timings.push(("component", t.elapsed().as_secs_f64()));
    Ok(component)
}

/// The rewritten core module: every `gojs` import replaced by its adapter (which imports the
/// shim's WIT functions under their canonical-ABI names), plus `cabi_realloc` and the
/// `wasi:cli/run` entry point; Go's own exports made internal.
pub fn guest_core(contract: &wit::Contract, bytes: &[u8], app: GoApp, timings: &mut Vec<(&'static str, f64)>) -> Result<Vec<u8>> {
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

    let mut generator = adapters::Generator::new(&mut module, contract, adapters::GoExports { run, resume, getsp, memory });
    for (id, import) in go_imports {
        generator.replace_import(id, import)?;
    }
    generator.add_cabi_realloc();
    match app {
        GoApp::Command => {
            if !workers_ready.is_empty() {
                anyhow::bail!("the module imports workers.ready (an HTTP handler): rewrite it as an HTTP handler");
            }
            generator.add_command_entry()?;
        }
        GoApp::HttpHandler => {
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
