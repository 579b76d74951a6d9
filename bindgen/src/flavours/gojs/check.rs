//! What stops a rewrite of a Go module whatever the options: a Go release whose ABI this
//! rewriter has not been checked against, imports or exports outside Go's GOOS=js ABI.

use super::abi;
use super::refusal::Refusal;
use crate::frontend::Toolchain;
use crate::module::{ItemType, ModuleInfo};

/// Checks that `info` is a Go module whose ABI this rewriter knows; names every problem.
pub fn check_abi(info: &ModuleInfo, toolchain: Option<&Toolchain>) -> Result<(), Refusal> {
    let version = toolchain.and_then(|t| t.version.clone());
    match version.as_deref().and_then(abi::go_minor) {
        Some(minor) if abi::KNOWN_GO_MINORS.contains(&minor) => {}
        _ => {
            return Err(Refusal::UnknownGoVersion {
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
            problems.push(format!(
                "{}::{} — expected a function (i32) -> (), found {} {}",
                imp.module,
                imp.name,
                imp.ty.kind(),
                imp.ty.describe()
            ));
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
            Some(e) => problems.push(format!(
                "export {name} — expected {kind} {}, found {} {}",
                sig.unwrap_or(""),
                e.ty.kind(),
                e.ty.describe()
            )),
            None => problems
                .push(format!("export {name} — missing (every GOOS=js module exports run, resume, getsp and mem)")),
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
            problems.push(format!(
                "export {} — not part of Go's GOOS=js ABI (a //go:wasmexport?); the rewrite would drop it",
                e.name
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Refusal::UnsupportedAbi { problems })
    }
}
