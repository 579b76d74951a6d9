//! `rewrite --strict-proxy`: an HTTP handler whose imports stay inside the `wasi:http/proxy`
//! world, so that `wasmtime serve` without `-S cli`, and hosts that offer only that world, run
//! it.
//!
//! The shim reads the arguments, environment, working directory, preopened directories and
//! terminals through wasi:cli and wasi:filesystem, ends the program through wasi:cli/exit, and
//! Rust's std seeds its hash maps from wasi:random/insecure-seed. None of these is in the proxy
//! world. Here a small component is generated from the shim's own imports that stands in for
//! them, in the manner of WASI-Virt (not published as a crate): no environment, one argument
//! (the program's name, as `wasmtime run` gives), no working directory, no preopens (so no
//! descriptor can ever exist and every filesystem method is unreachable), no terminals, a seed
//! drawn from wasi:random/random, and an `exit` that traps, since a proxy has no process to
//! end. `compose` puts it in front of the shim.
//!
//! The core module is written as WAT from the WIT signatures (the canonical ABI's flattening
//! comes from wit-parser), then wrapped by wit-component like the guest.

use anyhow::{bail, Context, Result};
use std::fmt::Write;
use wit_parser::abi::{AbiVariant, WasmType};
use wit_parser::{
    Function, InterfaceId, LiftLowerAbi, ManglingAndAbi, Resolve, WasmExport, WasmExportKind, WasmImport, WorldId,
    WorldItem, WorldKey,
};

/// The interfaces the wasi:http@0.2 `proxy` world imports (its `world imports`: clocks,
/// random, stdio, outgoing HTTP; and wasi:io, which they use), without versions.
const PROXY_WORLD: &[&str] = &[
    "wasi:io/poll",
    "wasi:io/error",
    "wasi:io/streams",
    "wasi:clocks/monotonic-clock",
    "wasi:clocks/wall-clock",
    "wasi:random/random",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:http/types",
    "wasi:http/outgoing-handler",
];

/// What stands in for an interface outside the proxy world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stand {
    /// wasi:cli/environment: no variables, one argument, no working directory.
    Environment,
    /// wasi:cli/exit: traps.
    Exit,
    /// wasi:cli/terminal-input, terminal-output: resource types only; none is ever made.
    TerminalType,
    /// wasi:cli/terminal-stdin, -stdout, -stderr: not a terminal.
    TerminalGetter,
    /// wasi:filesystem/types: no descriptor exists; no error code for stream errors.
    Filesystem,
    /// wasi:filesystem/preopens: none.
    Preopens,
    /// wasi:random/insecure-seed: from wasi:random/random.
    InsecureSeed,
}

fn stand_for(unversioned: &str) -> Option<Stand> {
    Some(match unversioned {
        "wasi:cli/environment" => Stand::Environment,
        "wasi:cli/exit" => Stand::Exit,
        "wasi:cli/terminal-input" | "wasi:cli/terminal-output" => Stand::TerminalType,
        "wasi:cli/terminal-stdin" | "wasi:cli/terminal-stdout" | "wasi:cli/terminal-stderr" => Stand::TerminalGetter,
        "wasi:filesystem/types" => Stand::Filesystem,
        "wasi:filesystem/preopens" => Stand::Preopens,
        "wasi:random/insecure-seed" => Stand::InsecureSeed,
        _ => return None,
    })
}

/// Interfaces a strict proxy build keeps as imports although the proxy world lacks them: the
/// program asked for them (the host's key-value stores).
fn kept_on_request(unversioned: &str) -> bool {
    unversioned.starts_with("wasi:keyvalue/")
}

/// What an import outside the proxy world means for a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beyond {
    /// In the proxy world.
    No,
    /// wasi:cli / wasi:filesystem / insecure-seed: `--strict-proxy` stands in for it.
    StandIn,
    /// wasi:keyvalue: kept by `--strict-proxy` (the program uses the stores).
    KeyValue,
    /// Anything else.
    Other,
}

/// Classifies an import name (`wasi:cli/environment@0.2.12`).
pub fn beyond_proxy_world(import: &str) -> Beyond {
    let base = unversioned(import);
    if PROXY_WORLD.contains(&base) {
        Beyond::No
    } else if kept_on_request(base) {
        Beyond::KeyValue
    } else if stand_for(base).is_some() {
        Beyond::StandIn
    } else {
        Beyond::Other
    }
}

/// The interface `world` imports under `unversioned` (any version), with its key.
fn imported_interface<'a>(
    resolve: &'a Resolve,
    world: WorldId,
    unversioned_name: &str,
) -> Option<(&'a WorldKey, InterfaceId)> {
    resolve.worlds[world].imports.iter().find_map(|(key, item)| match item {
        WorldItem::Interface { id, .. } if unversioned(&resolve.name_world_key(key)) == unversioned_name => {
            Some((key, *id))
        }
        _ => None,
    })
}

fn unversioned(name: &str) -> &str {
    name.split('@').next().unwrap_or(name)
}

/// The generated component and the interfaces it stands in for (versioned names).
pub struct StandIns {
    pub component: Vec<u8>,
    pub interfaces: Vec<String>,
}

/// Builds the stand-ins for every import of `shim` outside the proxy world; `None` when there
/// is none. `program` is the one argument the program gets (its file name). An import that is
/// neither in the proxy world nor one we can stand in for is an error naming each.
pub fn stand_ins(shim: &[u8], program: &str) -> Result<Option<StandIns>> {
    let Some(plan) = plan(shim, program)? else { return Ok(None) };
    let mut core = wat::parse_str(&plan.wat).context("assembling the stand-ins' core module")?;
    wit_component::embed_component_metadata(
        &mut core,
        &plan.resolve,
        plan.world,
        wit_component::StringEncoding::UTF8,
        false,
    )?;
    let component = wit_component::ComponentEncoder::default()
        .validate(true)
        .module(&core)
        .context("wrapping the stand-ins as a component")?
        .encode()
        .context("encoding the stand-ins")?;
    Ok(Some(StandIns { component, interfaces: plan.interfaces }))
}

/// The stand-ins' core module as WAT (for review: a snapshot test prints it).
pub fn stand_ins_wat(shim: &[u8], program: &str) -> Result<Option<String>> {
    Ok(plan(shim, program)?.map(|p| p.wat))
}

struct Plan {
    resolve: Resolve,
    world: WorldId,
    wat: String,
    interfaces: Vec<String>,
}

fn plan(shim: &[u8], program: &str) -> Result<Option<Plan>> {
    let wit_component::DecodedWasm::Component(mut resolve, shim_world) =
        wit_component::decode(shim).context("reading the shim's imports")?
    else {
        bail!("the shim is a WIT package, not a component");
    };
    let mut stand = Vec::new();
    let mut problems = Vec::new();
    for (key, item) in &resolve.worlds[shim_world].imports {
        let name = resolve.name_world_key(key);
        if !matches!(item, WorldItem::Interface { .. }) {
            problems.push(format!("{name}: a function or type imported outside any interface"));
            continue;
        }
        if let Some(s) = stand_for(unversioned(&name)) {
            stand.push((name, s));
        } else if beyond_proxy_world(&name) == Beyond::Other {
            problems.push(format!("{name}: not in the wasi:http/proxy world, and nothing stands in for it"));
        }
    }
    if !problems.is_empty() {
        bail!(
            "the shim imports what --strict-proxy cannot provide:\n{}",
            problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n")
        );
    }
    if stand.is_empty() {
        return Ok(None);
    }

    // The world: export what we stand in for (the shim's own view of those interfaces, with
    // exactly the functions it calls), import wasi:random for the seed. Interfaces the exports
    // use (wasi:io/streams, wall-clock) are added as imports by wit-parser.
    let mut wit = String::from("package wasm-server-bindgen:proxy-stand-ins;\n\nworld stand-ins {\n");
    if stand.iter().any(|(_, s)| *s == Stand::InsecureSeed) {
        let (_, random) = imported_interface(&resolve, shim_world, "wasi:random/random")
            .context("the shim imports wasi:random/insecure-seed but not wasi:random/random to draw it from")?;
        writeln!(wit, "  import {};", resolve.id_of(random).context("unnamed interface")?)?;
    }
    for (name, _) in &stand {
        writeln!(wit, "  export {name};")?;
    }
    wit.push_str("}\n");
    let package = resolve.push_source("stand-ins.wit", &wit).context("declaring the stand-ins' world")?;
    let world = resolve.select_world(&[package], Some("stand-ins"))?;
    let wat = core_module(&resolve, world, &stand, program)?;
    Ok(Some(Plan { resolve, world, wat, interfaces: stand.into_iter().map(|(name, _)| name).collect() }))
}

/// Checks that a composed `--strict-proxy` component imports nothing beyond the proxy world
/// (and the key-value stores it asked for): the guest's own WASI imports and the stand-ins'
/// dependencies pass through composition unplanned, so a newer shim or WASI release could
/// otherwise yield a "strict" build that is not.
pub fn check_strict(component: &[u8]) -> Result<()> {
    let wit_component::DecodedWasm::Component(resolve, world) =
        wit_component::decode(component).context("reading the output's imports")?
    else {
        bail!("the output is not a component");
    };
    let beyond: Vec<String> = resolve.worlds[world]
        .imports
        .keys()
        .map(|key| resolve.name_world_key(key))
        .filter(|name| matches!(beyond_proxy_world(name), Beyond::StandIn | Beyond::Other))
        .collect();
    if !beyond.is_empty() {
        bail!("the --strict-proxy output still imports {} (a rewriter bug: please report it)", beyond.join(", "));
    }
    Ok(())
}

// Static memory of the core module.
/// 16 zero bytes: the return area of every "none" and "empty list" answer.
const ZEROS: u32 = 16;
/// The arguments list (pointer, length 1).
const ARGS: u32 = 32;
/// Return area of the get-random-bytes import (pointer, length).
const SCRATCH: u32 = 40;
/// Return area of insecure-seed (two u64).
const SEED: u32 = 48;
/// The one argument's string (pointer, length), then its bytes.
const ARG0: u32 = 64;
const ARG0_BYTES: u32 = 72;

const LEGACY: ManglingAndAbi = ManglingAndAbi::Legacy(LiftLowerAbi::Sync);

/// The core module as WAT: one export per WIT function of the stand-in interfaces.
fn core_module(resolve: &Resolve, world: WorldId, stand: &[(String, Stand)], program: &str) -> Result<String> {
    let heap = (ARG0_BYTES + program.len() as u32).next_multiple_of(16);
    let pages = (heap + 65536).div_ceil(65536);
    let mut w = String::from("(module\n");

    // The seed's source, imported only when needed.
    if stand.iter().any(|(_, s)| *s == Stand::InsecureSeed) {
        let (key, id) = imported_interface(resolve, world, "wasi:random/random")
            .context("the stand-ins' world lost its wasi:random import")?;
        let func = resolve.interfaces[id]
            .functions
            .get("get-random-bytes")
            .context("the shim's wasi:random/random has no get-random-bytes to seed from")?;
        let sig = resolve.wasm_signature(AbiVariant::GuestImport, func);
        expect_sig(&sig, &[WasmType::I64, WasmType::Pointer], &[], "wasi:random/random#get-random-bytes")?;
        let (module, name) = resolve.wasm_import_name(LEGACY, WasmImport::Func { interface: Some(key), func });
        writeln!(w, "  (import {} {} (func $get-random-bytes (param i64 i32)))", quote(&module), quote(&name))?;
    }

    writeln!(w, "  (memory (export {}) {pages})", quote(&resolve.wasm_export_name(LEGACY, WasmExport::Memory)))?;
    writeln!(w, "  (global $heap (mut i32) (i32.const {heap}))")?;
    // argv = [program]: the list (pointer, 1) and the string (pointer, length).
    writeln!(w, "  (data (i32.const {ARGS}) \"{}\\01\\00\\00\\00\")", le(ARG0))?;
    writeln!(w, "  (data (i32.const {ARG0}) \"{}{}\")", le(ARG0_BYTES), le(program.len() as u32))?;
    writeln!(w, "  (data (i32.const {ARG0_BYTES}) {})", quote(program))?;
    // Only the seed's import lowers a list into this module; each call starts the heap anew.
    writeln!(
        w,
        "  (func (export {}) (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    (if (local.get $old) (then unreachable))
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (if (i32.gt_u (global.get $heap) (i32.shl (memory.size) (i32.const 16)))
      (then (if (i32.eq (memory.grow (i32.shr_u (i32.add (i32.sub (global.get $heap) (i32.shl (memory.size) (i32.const 16))) (i32.const 65535)) (i32.const 16))) (i32.const -1))
        (then unreachable))))
    (local.get $p))",
        quote(&resolve.wasm_export_name(LEGACY, WasmExport::Realloc))
    )?;

    for (key, item) in &resolve.worlds[world].exports {
        let WorldItem::Interface { id, .. } = item else { continue };
        let name = resolve.name_world_key(key);
        let (_, kind) = stand
            .iter()
            .find(|(n, _)| *n == name)
            .with_context(|| format!("{name} is exported but stands for nothing"))?;
        for func in resolve.interfaces[*id].functions.values() {
            let sig = resolve.wasm_signature(AbiVariant::GuestExport, func);
            let export = resolve.wasm_export_name(
                LEGACY,
                WasmExport::Func { interface: Some(key), func, kind: WasmExportKind::Normal },
            );
            let body = body(*kind, &name, func, &sig)?;
            let params: String = sig.params.iter().map(|t| format!(" {}", core_type(*t))).collect();
            let results: String = sig.results.iter().map(|t| format!(" {}", core_type(*t))).collect();
            // The function's name says why it traps when it does (hosts print it in backtraces).
            let fname = format!("{export} (stand-in for the wasi:http/proxy world)");
            writeln!(
                w,
                "  (func ${} (export {}){}{}\n    {body})",
                quote(&fname),
                quote(&export),
                if params.is_empty() { String::new() } else { format!(" (param{params})") },
                if results.is_empty() { String::new() } else { format!(" (result{results})") },
            )?;
        }
    }
    w.push_str(")\n");
    Ok(w)
}

/// The body of one stand-in function.
fn body(kind: Stand, interface: &str, func: &Function, sig: &wit_parser::abi::WasmSignature) -> Result<String> {
    // Answers with more than one flat value are returned through a pointer to them.
    let returns_area = |area: u32| -> Result<String> {
        if sig.results != [WasmType::Pointer] {
            bail!("{interface}#{}: expected a result returned through memory, found {:?} (a WASI version this rewriter does not know?)", func.name, sig.results);
        }
        Ok(format!("(i32.const {area})"))
    };
    match (kind, func.name.as_str()) {
        (Stand::Environment, "get-environment") => returns_area(ZEROS),
        (Stand::Environment, "get-arguments") => returns_area(ARGS),
        (Stand::Environment, "initial-cwd") => returns_area(ZEROS),
        (Stand::TerminalGetter, n) if n.starts_with("get-terminal-") => returns_area(ZEROS),
        (Stand::Preopens, "get-directories") => returns_area(ZEROS),
        (Stand::Filesystem, "filesystem-error-code") => returns_area(ZEROS),
        (Stand::InsecureSeed, "insecure-seed") => {
            expect_sig(sig, &[], &[WasmType::Pointer], &format!("{interface}#insecure-seed"))?;
            // The 16 random bytes are the only allocation: the heap is given back after.
            Ok(format!(
                "(local $base i32)
    (local.set $base (global.get $heap))
    (call $get-random-bytes (i64.const 16) (i32.const {SCRATCH}))
    (i64.store (i32.const {SEED}) (i64.load (i32.load (i32.const {SCRATCH}))))
    (i64.store (i32.const {}) (i64.load offset=8 (i32.load (i32.const {SCRATCH}))))
    (global.set $heap (local.get $base))
    (i32.const {SEED})",
                SEED + 8
            ))
        }
        // No process to end; no descriptor can exist (there are no preopens), so no method of
        // one is ever called.
        (Stand::Exit, _) => Ok("unreachable".into()),
        (Stand::Filesystem, n) if n.starts_with("[method]") || n.starts_with("[static]") => Ok("unreachable".into()),
        _ => bail!("{interface}#{}: the shim calls it and --strict-proxy has no stand-in for it", func.name),
    }
}

fn expect_sig(
    sig: &wit_parser::abi::WasmSignature,
    params: &[WasmType],
    results: &[WasmType],
    what: &str,
) -> Result<()> {
    if sig.params != params || sig.results != results {
        bail!(
            "{what}: unexpected core signature {:?} -> {:?} (a WASI version this rewriter does not know?)",
            sig.params,
            sig.results
        );
    }
    Ok(())
}

fn core_type(t: WasmType) -> &'static str {
    match t {
        WasmType::I32 | WasmType::Pointer | WasmType::Length => "i32",
        WasmType::I64 | WasmType::PointerOrI64 => "i64",
        WasmType::F32 => "f32",
        WasmType::F64 => "f64",
    }
}

/// A WAT string literal (also used for quoted identifiers `$"…"`).
fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for b in s.bytes() {
        match b {
            b'"' | b'\\' => write!(out, "\\{}", b as char).unwrap(),
            0x20..=0x7e => out.push(b as char),
            _ => write!(out, "\\{b:02x}").unwrap(),
        }
    }
    out.push('"');
    out
}

/// A u32 as the escaped little-endian bytes of a WAT data string.
fn le(v: u32) -> String {
    v.to_le_bytes().iter().map(|b| format!("\\{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn component(wat: &str) -> Vec<u8> {
        wat::parse_str(wat).unwrap()
    }

    #[test]
    fn a_component_inside_the_proxy_world_needs_no_stand_ins() {
        let shim = component(
            r#"(component (import "wasi:cli/stdout@0.2.12" (instance)) (import "wasi:http/types@0.2.12" (instance)))"#,
        );
        assert!(stand_ins(&shim, "app.wasm").unwrap().is_none());
    }

    #[test]
    fn every_import_without_a_stand_in_is_named() {
        let shim = component(
            r#"(component
                 (import "wasi:sockets/tcp@0.2.12" (instance))
                 (import "wasi:cli/stdout@0.2.12" (instance))
                 (import "example:db/query@1.0.0" (instance)))"#,
        );
        let err = format!("{:#}", stand_ins(&shim, "app.wasm").err().unwrap());
        assert!(err.contains("wasi:sockets/tcp@0.2.12: not in the wasi:http/proxy world"), "{err}");
        assert!(err.contains("example:db/query@1.0.0: not in the wasi:http/proxy world"), "{err}");
        assert!(!err.contains("stdout"), "{err}");
    }

    #[test]
    fn a_seed_needs_wasi_random() {
        let shim = component(r#"(component (import "wasi:random/insecure-seed@0.2.12" (instance)))"#);
        let err = format!("{:#}", stand_ins(&shim, "app.wasm").err().unwrap());
        assert!(err.contains("not wasi:random/random to draw it from"), "{err}");
    }

    #[test]
    fn a_strict_output_that_imports_more_is_refused() {
        let out = component(
            r#"(component (import "wasi:cli/environment@0.2.12" (instance)) (import "wasi:http/types@0.2.12" (instance)))"#,
        );
        let err = format!("{:#}", check_strict(&out).err().unwrap());
        assert!(err.contains("still imports wasi:cli/environment@0.2.12"), "{err}");
        let ok = component(
            r#"(component (import "wasi:keyvalue/store@0.2.0-draft" (instance)) (import "wasi:http/types@0.2.12" (instance)))"#,
        );
        check_strict(&ok).unwrap();
    }

    #[test]
    fn wat_strings_are_escaped() {
        assert_eq!(quote("a\"b\\c\u{e9}"), r#""a\"b\\c\c3\a9""#);
        assert_eq!(le(0x0102_0304), r"\04\03\02\01");
    }
}
