//! The gojs WIT contract (`shims/wit/gojs/`), built into the binary, and the core-wasm
//! signatures the canonical ABI gives its functions. The adapters are generated against these
//! signatures, so a change to the WIT shows up here rather than as a broken component.

use anyhow::{anyhow, Context, Result};
use wit_parser::abi::{AbiVariant, WasmType};
use wit_parser::{Resolve, SourceMap, WorldId};

const GOJS_WIT: &str = include_str!("../../../shims/wit/gojs/gojs.wit");
const COMMAND_WIT: &str = include_str!("../../../shims/wit/gojs/command.wit");
const PROXY_WIT: &str = include_str!("../../../shims/wit/gojs/proxy.wit");
/// Our export telling hosts that keep instances whether one can take another request.
const INSTANCE_WIT: &str = include_str!("../../../shims/wit/gojs/deps/wasm-server-instance.wit");
const WASI_CLI_RUN_WIT: &str = include_str!("../../../shims/wit/gojs/deps/cli/run.wit");
/// WASI 0.2.12 (the version the shim's bindings use), in dependency order: the `http`
/// interface names wasi:http types, and the shim and guest must name the same version for their
/// imports to be one.
const WASI_0_2_12: [(&str, &str); 7] = [
    ("io.wit", include_str!("../../../shims/wit/gojs/deps/io.wit")),
    ("clocks.wit", include_str!("../../../shims/wit/gojs/deps/clocks.wit")),
    ("random.wit", include_str!("../../../shims/wit/gojs/deps/random.wit")),
    ("filesystem.wit", include_str!("../../../shims/wit/gojs/deps/filesystem.wit")),
    ("sockets.wit", include_str!("../../../shims/wit/gojs/deps/sockets.wit")),
    ("cli.wit", include_str!("../../../shims/wit/gojs/deps/cli.wit")),
    ("http.wit", include_str!("../../../shims/wit/gojs/deps/http.wit")),
];

/// The parsed contract and the worlds rewritten modules target.
pub struct Contract {
    pub resolve: Resolve,
    pub command_world: WorldId,
    pub proxy_world: WorldId,
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
    pub fn load() -> Result<Contract> {
        let mut resolve = Resolve::default();
        let deps = [("cli/run.wit", WASI_CLI_RUN_WIT), ("wasm-server-instance.wit", INSTANCE_WIT)].into_iter().chain(WASI_0_2_12);
        for (name, text) in deps {
            let mut map = SourceMap::new();
            map.push_str(&format!("shims/wit/gojs/deps/{name}"), text);
            resolve.push_group(map.parse().map_err(|(_, e)| anyhow!("{e}"))?).with_context(|| format!("WIT deps/{name}"))?;
        }
        let mut gojs = SourceMap::new();
        gojs.push_str("shims/wit/gojs/gojs.wit", GOJS_WIT);
        gojs.push_str("shims/wit/gojs/command.wit", COMMAND_WIT);
        gojs.push_str("shims/wit/gojs/proxy.wit", PROXY_WIT);
        let pkg = resolve.push_group(gojs.parse().map_err(|(_, e)| anyhow!("{e}"))?)?;
        let command_world = resolve.select_world(&[pkg], Some("gojs-command")).context("world gojs-command")?;
        let proxy_world = resolve.select_world(&[pkg], Some("gojs-proxy")).context("world gojs-proxy")?;
        Ok(Contract { resolve, command_world, proxy_world })
    }

    /// The core signature of `interface.func` as imported by the guest (canon lower).
    pub fn import_sig(&self, interface: &str, func: &str) -> Result<CoreSig> {
        let iface = self
            .resolve
            .interfaces
            .iter()
            .find(|(_, i)| i.name.as_deref() == Some(interface) && i.package.is_some_and(|p| self.resolve.packages[p].name.name == "gojs"))
            .map(|(_, i)| i)
            .with_context(|| format!("gojs WIT has no interface {interface}"))?;
        let f = iface.functions.get(func).with_context(|| format!("gojs WIT interface {interface} has no function {func}"))?;
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
