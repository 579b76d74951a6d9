//! The gojs WIT contract (`wit/gojs/`, on the workspace's tree of [`crate::wit`]), built into
//! the binary, and the core-wasm signatures the canonical ABI gives its functions. The adapters are generated against these
//! signatures, so a change to the WIT shows up here rather than as a broken component.

use crate::wit::{ExportedFunc, Tree};
use anyhow::{Context, Result};
use wit_parser::abi::{AbiVariant, WasmType};
use wit_parser::{Resolve, WorldId};

/// The gojs package (`wit/gojs/`): the shim's interfaces and the worlds of rewritten modules.
/// The shim-side worlds (`shim-kv.wit`) are not read here: the guest never names them.
const GOJS_PACKAGE: [(&str, &str); 3] = [
    ("wit/gojs/gojs.wit", include_str!("../../../../wit/gojs/gojs.wit")),
    ("wit/gojs/command.wit", include_str!("../../../../wit/gojs/command.wit")),
    ("wit/gojs/proxy.wit", include_str!("../../../../wit/gojs/proxy.wit")),
];

/// The parsed contract and the worlds rewritten modules target.
pub struct Contract {
    pub resolve: Resolve,
    pub command_world: WorldId,
    pub proxy_world: WorldId,
    /// The instance-reuse function HTTP handlers export (see [`Tree::reuse_export`]).
    pub reuse: ExportedFunc,
}

/// A core function signature: parameters and results as core value types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreSig {
    pub params: Vec<walrus::ValType>,
    pub results: Vec<walrus::ValType>,
    /// Whether the last parameter is a pointer to the return area (results too big to return).
    pub retptr: bool,
}

impl Contract {
    /// The workspace's WIT tree with the gojs package on top.
    pub fn load() -> Result<Contract> {
        let mut tree = Tree::load()?;
        let pkg = tree.push_package(&GOJS_PACKAGE)?;
        let command_world = tree.resolve.select_world(&[pkg], Some("gojs-command")).context("world gojs-command")?;
        let proxy_world = tree.resolve.select_world(&[pkg], Some("gojs-proxy")).context("world gojs-proxy")?;
        let reuse = tree.reuse_export(proxy_world)?;
        Ok(Contract { resolve: tree.resolve, command_world, proxy_world, reuse })
    }

    /// The core signature of `interface.func` as imported by the guest (canon lower).
    pub fn import_sig(&self, interface: &str, func: &str) -> Result<CoreSig> {
        let iface = self
            .resolve
            .interfaces
            .iter()
            .find(|(_, i)| {
                i.name.as_deref() == Some(interface)
                    && i.package.is_some_and(|p| self.resolve.packages[p].name.name == "gojs")
            })
            .map(|(_, i)| i)
            .with_context(|| format!("gojs WIT has no interface {interface}"))?;
        let f = iface
            .functions
            .get(func)
            .with_context(|| format!("gojs WIT interface {interface} has no function {func}"))?;
        let sig = self.resolve.wasm_signature(AbiVariant::GuestImport, f);
        Ok(CoreSig {
            params: sig.params.iter().map(|t| core(*t)).collect::<Result<_>>()?,
            results: sig.results.iter().map(|t| core(*t)).collect::<Result<_>>()?,
            retptr: sig.retptr,
        })
    }
}

fn core(t: WasmType) -> Result<walrus::ValType> {
    Ok(match t {
        WasmType::I32 | WasmType::Pointer | WasmType::Length => walrus::ValType::I32,
        WasmType::I64 | WasmType::PointerOrI64 => walrus::ValType::I64,
        WasmType::F32 => walrus::ValType::F32,
        WasmType::F64 => walrus::ValType::F64,
    })
}
