//! Pre-initialisation, measured: a Wizer-style snapshot of a rewritten HTTP handler, so that
//! `gojs-http` can compare "a fresh instance per request, restored from a snapshot taken after
//! start-up" with instance reuse and with plain fresh instances (the serving choice is made
//! with these numbers: see README, "instance reuse").
//!
//! This is a measuring tool, not a feature: the snapshot is taken after one warm-up request
//! (the composed component has no export that runs Go only up to `ready`), and what a restored
//! instance shares with every other one is not undone (Go's runtime random state; wasmtime's
//! monotonic clock restarts per store, so Go sees its clock go back). `wasmtime wizer` would be
//! the tool, but it refuses our composed component ("nested components with modules not
//! currently supported").
//!
//! How: the component runs in an engine with guest debugging on, whose
//! `Store::debug_all_instances` and `Instance::debug_memory`/`debug_global` reach every core
//! instance's state (the component API does not); each core module with state is rewritten to
//! start in it (mutable globals' initial values, data segments holding the memory's non-zero
//! bytes), and put back in the component's bytes in place of the original module. Wasmtime then
//! maps that memory image copy-on-write at every instantiation.

use anyhow::{bail, ensure, Context, Result};
use std::collections::HashMap;
use std::path::Path;
use wasm_encoder::{
    ConstExpr, DataCountSection, DataSection, Encode, GlobalSection, GlobalType, MemorySection, MemoryType, RawSection,
    ValType,
};
use wasm_server::host::{component_linker, Host};
use wasmparser::{BinaryReader, Parser, Payload};
use wasmtime::component::Component;
use wasmtime::{Config, Engine, ExternType, Store, Val};
use wasmtime_wasi_http::p2::bindings::ProxyPre;

/// What a snapshot holds.
pub struct Report {
    /// Core modules rewritten (those with memories or mutable globals).
    pub modules: usize,
    /// Bytes of memory captured, all modules together.
    pub memory_bytes: usize,
}

/// Runs `component` through one `GET warm_up_path` and writes to `out` the same component with
/// every core module starting in the state that request left it in.
pub fn snapshot(component: &Path, warm_up_path: &str, out: &Path) -> Result<Report> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let states = runtime.block_on(run_and_capture(component, warm_up_path))?;
    let mut replace = HashMap::new();
    let mut report = Report { modules: 0, memory_bytes: 0 };
    for state in states {
        report.modules += 1;
        report.memory_bytes += state.memories.iter().map(Vec::len).sum::<usize>();
        let module = initialised_module(&state).context("rewriting a core module to start from its snapshot")?;
        replace.insert(state.module, module);
    }
    let original = std::fs::read(component)?;
    let mut replaced = 0;
    let bytes = replace_modules(&original, &replace, &mut replaced)?;
    ensure!(replaced == replace.len(), "{} core modules captured, {replaced} found in the component", replace.len());
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(&bytes)
        .context("the pre-initialised component does not validate")?;
    std::fs::write(out, bytes)?;
    Ok(report)
}

/// One core instance's state after the warm-up request.
struct CoreState {
    /// The module's original bytes (how it is found in the component).
    module: Vec<u8>,
    imported_memories: u32,
    /// Defined memories' contents, in index order.
    memories: Vec<Vec<u8>>,
    /// Defined globals: the value of each mutable one (None: immutable, kept as it is).
    globals: Vec<Option<Val>>,
}

async fn run_and_capture(path: &Path, warm_up_path: &str) -> Result<Vec<CoreState>> {
    let mut config = Config::new();
    config.wasm_component_model(true).guest_debug(true);
    // As wasm-server's engine: Go spends engine stack on every Go call.
    config.max_wasm_stack(wasm_server::engine::MAX_WASM_STACK);
    config.async_stack_size(wasm_server::engine::MAX_WASM_STACK + (1 << 20));
    let engine = Engine::new(&config)?;
    let component = Component::from_file(&engine, path)?;
    let pre = ProxyPre::new(component_linker(&engine)?.instantiate_pre(&component)?)?;
    let wasi = wasmtime_wasi::WasiCtxBuilder::new().build();
    let mut store = Store::new(&engine, Host::new(wasi, Default::default(), Default::default(), u64::MAX));
    let proxy = pre.instantiate_async(&mut store).await?;

    crate::in_process::get(&mut store, &proxy, &format!("http://localhost{warm_up_path}"))
        .await
        .context("the warm-up request")?;

    let mut states = Vec::new();
    for instance in store.debug_all_instances() {
        let module = instance.module(&store).clone();
        let count = |want: fn(&ExternType) -> bool| module.imports().filter(|i| want(&i.ty())).count() as u32;
        let imported_memories = count(|t| matches!(t, ExternType::Memory(_)));
        let imported_globals = count(|t| matches!(t, ExternType::Global(_)));
        let mut memories = Vec::new();
        while let Some(m) = instance.debug_memory(&mut store, imported_memories + memories.len() as u32) {
            memories.push(m.data(&store).to_vec());
        }
        let mut globals = Vec::new();
        while let Some(g) = instance.debug_global(&mut store, imported_globals + globals.len() as u32) {
            globals.push(if g.ty(&store).mutability().is_var() { Some(g.get(&mut store)) } else { None });
        }
        if memories.is_empty() && globals.iter().all(Option::is_none) {
            continue;
        }
        let Some(bytes) = module.debug_bytecode() else { bail!("guest debugging keeps no module bytes") };
        states.push(CoreState { module: bytes.to_vec(), imported_memories, memories, globals });
    }
    Ok(states)
}

/// Segments further apart than this many zero bytes are written separately.
const ZERO_GAP: usize = 4096;

/// The core module of `state`, rewritten to start in it: memories at least their current size,
/// mutable globals initialised to their values, and active data segments writing the memories'
/// non-zero bytes. Without a data count section no segment can be referred to by index (no
/// `memory.init`), so the snapshot replaces the original segments (Go's linker already writes
/// the maximum 100,000); with one, the originals stay and ours follow.
fn initialised_module(state: &CoreState) -> Result<Vec<u8>> {
    let segments = nonzero_runs(&state.memories, state.imported_memories);
    let bytes = &state.module;
    let mut out = wasm_encoder::Module::new();
    let mut has_data_count = false;
    let mut wrote_data = false;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload?;
        match &payload {
            Payload::MemorySection(reader) => {
                let mut section = MemorySection::new();
                for (i, m) in reader.clone().into_iter().enumerate() {
                    let m = m?;
                    let pages = (state.memories[i].len() as u64).div_ceil(1 << m.page_size_log2.unwrap_or(16));
                    section.memory(MemoryType {
                        minimum: m.initial.max(pages),
                        maximum: m.maximum,
                        memory64: m.memory64,
                        shared: m.shared,
                        page_size_log2: m.page_size_log2,
                    });
                }
                out.section(&section);
            }
            Payload::GlobalSection(reader) => {
                let mut section = GlobalSection::new();
                for (i, g) in reader.clone().into_iter().enumerate() {
                    let g = g?;
                    let val_type = match g.ty.content_type {
                        wasmparser::ValType::I32 => ValType::I32,
                        wasmparser::ValType::I64 => ValType::I64,
                        wasmparser::ValType::F32 => ValType::F32,
                        wasmparser::ValType::F64 => ValType::F64,
                        other => bail!("a global of type {other:?}"),
                    };
                    let init = match &state.globals[i] {
                        Some(Val::I32(v)) => ConstExpr::i32_const(*v),
                        Some(Val::I64(v)) => ConstExpr::i64_const(*v),
                        Some(Val::F32(v)) => ConstExpr::f32_const(f32::from_bits(*v).into()),
                        Some(Val::F64(v)) => ConstExpr::f64_const(f64::from_bits(*v).into()),
                        Some(other) => bail!("a global holding {other:?}"),
                        None => {
                            // The original initialiser, less its `end` (ConstExpr::raw adds it).
                            let range = g.init_expr.get_binary_reader().range();
                            ConstExpr::raw(bytes[range.start as usize..range.end as usize - 1].iter().copied())
                        }
                    };
                    section.global(GlobalType { val_type, mutable: g.ty.mutable, shared: g.ty.shared }, &init);
                }
                out.section(&section);
            }
            Payload::DataCountSection { count, .. } => {
                has_data_count = true;
                out.section(&DataCountSection { count: count + segments.len() as u32 });
            }
            Payload::DataSection(reader) => {
                let mut section = DataSection::new();
                if has_data_count {
                    for segment in reader.clone() {
                        let range = segment?.range;
                        section.raw(&bytes[range.start as usize..range.end as usize]);
                    }
                }
                for (memory, offset, run) in &segments {
                    section.active(*memory, &ConstExpr::i32_const(*offset as i32), run.iter().copied());
                }
                ensure!(section.len() <= 100_000, "{} data segments: more than a module may have", section.len());
                out.section(&section);
                wrote_data = true;
            }
            _ => {
                if let Some((id, range)) = payload.as_section() {
                    out.section(&RawSection { id, data: &bytes[range.start as usize..range.end as usize] });
                }
            }
        }
    }
    ensure!(wrote_data || segments.is_empty(), "a module with memory contents but no data section");
    Ok(out.finish())
}

/// (memory index, offset, bytes) of each run of non-zero bytes, runs closer than [`ZERO_GAP`]
/// merged.
fn nonzero_runs(memories: &[Vec<u8>], first_index: u32) -> Vec<(u32, u32, &[u8])> {
    let mut runs = Vec::new();
    for (i, memory) in memories.iter().enumerate() {
        let mut pos = 0;
        while let Some(start) = memory[pos..].iter().position(|&b| b != 0).map(|p| p + pos) {
            let mut end = start;
            loop {
                end += memory[end..].iter().position(|&b| b == 0).unwrap_or(memory.len() - end);
                match memory[end..].iter().position(|&b| b != 0) {
                    Some(gap) if gap < ZERO_GAP => end += gap,
                    _ => break,
                }
            }
            runs.push((first_index + i as u32, start as u32, &memory[start..end]));
            pos = end;
        }
    }
    runs
}

/// `component` with every core module whose bytes are a key of `replace` (nested components
/// included) replaced by its value; `replaced` counts them.
fn replace_modules(component: &[u8], replace: &HashMap<Vec<u8>, Vec<u8>>, replaced: &mut usize) -> Result<Vec<u8>> {
    ensure!(component.len() >= 8, "not a component");
    let mut out = component[..8].to_vec();
    let mut pos = 8;
    while pos < component.len() {
        let id = component[pos];
        let mut r = BinaryReader::new(&component[pos + 1..], 0);
        let size = r.read_var_u32()? as usize;
        let start = pos + 1 + r.original_position() as usize;
        let body = component.get(start..start + size).context("a section runs past the end")?;
        let new_body = match id {
            // A core module.
            1 => match replace.get(body) {
                Some(m) => {
                    *replaced += 1;
                    m.clone()
                }
                None => body.to_vec(),
            },
            // A nested component.
            4 => replace_modules(body, replace, replaced)?,
            _ => body.to_vec(),
        };
        out.push(id);
        (new_body.len() as u32).encode(&mut out);
        out.extend_from_slice(&new_body);
        pos = start + size;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_nonzero_bytes_merge_across_short_gaps() {
        let mut m = vec![0u8; 3 * ZERO_GAP];
        m[1] = 1;
        m[10] = 2; // within the gap: one run
        m[2 * ZERO_GAP + 5] = 3; // far: a second run
        let runs = nonzero_runs(std::slice::from_ref(&m), 1);
        assert_eq!(
            runs.iter().map(|(i, o, b)| (*i, *o, b.len())).collect::<Vec<_>>(),
            [(1, 1, 10), (1, 2 * ZERO_GAP as u32 + 5, 1)]
        );
        assert!(nonzero_runs(&[vec![0; 100]], 0).is_empty());
    }

    #[test]
    fn a_module_starts_in_its_snapshot() -> Result<()> {
        let module = wat::parse_str(
            r#"(module
                (memory 1)
                (global $g (mut i32) (i32.const 1))
                (global $k i32 (i32.const 7))
                (data (i32.const 0) "abc")
                (func (export "g") (result i32) global.get $g)
                (func (export "k") (result i32) global.get $k)
                (func (export "byte") (param i32) (result i32) local.get 0 i32.load8_u))"#,
        )?;
        let mut memory = vec![0u8; 2 << 16];
        memory[0] = b'x';
        memory[(1 << 16) + 3] = 9; // past the original size: the memory grew
        let state =
            CoreState { module, imported_memories: 0, memories: vec![memory], globals: vec![Some(Val::I32(42)), None] };
        let bytes = initialised_module(&state)?;
        let engine = Engine::default();
        let mut store = Store::new(&engine, ());
        let instance = wasmtime::Instance::new(&mut store, &wasmtime::Module::new(&engine, &bytes)?, &[])?;
        let call = |store: &mut Store<()>, name: &str, args: &[Val]| -> Result<i32> {
            let mut out = [Val::I32(0)];
            instance.get_func(&mut *store, name).context(name.to_string())?.call(&mut *store, args, &mut out)?;
            Ok(out[0].unwrap_i32())
        };
        assert_eq!(call(&mut store, "g", &[])?, 42);
        assert_eq!(call(&mut store, "k", &[])?, 7);
        // The snapshot replaced the original segment: "xbc" would be wrong, "x\0\0" is right.
        assert_eq!(call(&mut store, "byte", &[Val::I32(0)])?, b'x' as i32);
        assert_eq!(call(&mut store, "byte", &[Val::I32(1)])?, 0);
        assert_eq!(call(&mut store, "byte", &[Val::I32((1 << 16) + 3)])?, 9);
        Ok(())
    }

    #[test]
    fn segments_referred_to_by_index_are_kept() -> Result<()> {
        // memory.init needs a data count section: the original segments stay, ours follow.
        let module = wat::parse_str(
            r#"(module
                (memory 1)
                (data $p "zz")
                (func (export "init") (memory.init $p (i32.const 8) (i32.const 0) (i32.const 2)))
                (func (export "byte") (param i32) (result i32) local.get 0 i32.load8_u))"#,
        )?;
        let mut memory = vec![0u8; 1 << 16];
        memory[0] = 5;
        let bytes =
            initialised_module(&CoreState { module, imported_memories: 0, memories: vec![memory], globals: vec![] })?;
        let engine = Engine::default();
        let mut store = Store::new(&engine, ());
        let instance = wasmtime::Instance::new(&mut store, &wasmtime::Module::new(&engine, &bytes)?, &[])?;
        let byte = instance.get_typed_func::<i32, i32>(&mut store, "byte")?;
        assert_eq!(byte.call(&mut store, 0)?, 5);
        instance.get_typed_func::<(), ()>(&mut store, "init")?.call(&mut store, ())?;
        assert_eq!(byte.call(&mut store, 8)?, b'z' as i32);
        Ok(())
    }
}
