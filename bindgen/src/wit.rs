//! The workspace's WIT tree (`wit/`), built into the binary: the WASI 0.2 interfaces a guest
//! names and the contracts every flavour shares (the instance-reuse export). A frontend adds its
//! own package on top ([`Tree::push_package`]) and selects its worlds from it.

use anyhow::{anyhow, bail, Context, Result};
use wit_parser::abi::{AbiVariant, WasmType};
use wit_parser::{
    InterfaceId, LiftLowerAbi, ManglingAndAbi, PackageId, Resolve, SourceMap, WasmExport, WasmExportKind, WorldId,
    WorldItem,
};

/// Our export telling hosts that keep instances whether one can take another request.
const INSTANCE_WIT: (&str, &str) =
    ("wasm-server-instance.wit", include_str!("../../wit/deps/wasm-server-instance.wit"));
const WASI_CLI_RUN_WIT: (&str, &str) = ("cli/run.wit", include_str!("../../wit/deps/cli/run.wit"));
/// WASI 0.2.12 (the version the shims' bindings use), in dependency order: a guest and its shim
/// must name the same version for their imports to be one.
const WASI_0_2_12: [(&str, &str); 7] = [
    ("io.wit", include_str!("../../wit/deps/io.wit")),
    ("clocks.wit", include_str!("../../wit/deps/clocks.wit")),
    ("random.wit", include_str!("../../wit/deps/random.wit")),
    ("filesystem.wit", include_str!("../../wit/deps/filesystem.wit")),
    ("sockets.wit", include_str!("../../wit/deps/sockets.wit")),
    ("cli.wit", include_str!("../../wit/deps/cli.wit")),
    ("http.wit", include_str!("../../wit/deps/http.wit")),
];

/// The parsed tree.
pub struct Tree {
    pub resolve: Resolve,
    /// The instance-reuse contract's interface (`wit/deps/wasm-server-instance.wit`).
    reuse: InterfaceId,
}

/// A function a world exports, as a core module exports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedFunc {
    /// The core export name (wit-parser's mangling): `<interface>@<version>#<function>`.
    pub export: String,
    /// The same without the version, for naming the function that implements it.
    pub label: String,
}

impl Tree {
    /// The deps every flavour's worlds may use.
    pub fn load() -> Result<Tree> {
        let mut resolve = Resolve::default();
        let mut reuse = None;
        for (name, text) in [WASI_CLI_RUN_WIT, INSTANCE_WIT].into_iter().chain(WASI_0_2_12) {
            let mut map = SourceMap::new();
            map.push_str(&format!("wit/deps/{name}"), text);
            let package = resolve
                .push_group(map.parse().map_err(|(_, e)| anyhow!("{e}"))?)
                .with_context(|| format!("WIT deps/{name}"))?;
            if (name, text) == INSTANCE_WIT {
                let interfaces = &resolve.packages[package].interfaces;
                if interfaces.len() != 1 {
                    bail!(
                        "WIT deps/{name}: expected one interface (the instance-reuse contract), found {}",
                        interfaces.len()
                    );
                }
                reuse = interfaces.values().next().copied();
            }
        }
        Ok(Tree { resolve, reuse: reuse.context("the instance-reuse contract was not loaded")? })
    }

    /// Adds a package made of `files` (path, text), which may use the deps.
    pub fn push_package(&mut self, files: &[(&str, &str)]) -> Result<PackageId> {
        let mut map = SourceMap::new();
        for (path, text) in files {
            map.push_str(path, *text);
        }
        Ok(self.resolve.push_group(map.parse().map_err(|(_, e)| anyhow!("{e}"))?)?)
    }

    /// The instance-reuse contract's function as `world` exports it: a guest implements it so
    /// that hosts which keep instances between requests know whether one can take another.
    /// Its core type is `() -> i32` (a bool).
    pub fn reuse_export(&self, world: WorldId) -> Result<ExportedFunc> {
        let resolve = &self.resolve;
        let world_name = &resolve.worlds[world].name;
        let key = resolve.worlds[world]
            .exports
            .iter()
            .find_map(|(key, item)| matches!(item, WorldItem::Interface { id, .. } if *id == self.reuse).then_some(key))
            .with_context(|| format!("world {world_name} does not export the instance-reuse contract"))?;
        let interface = &resolve.interfaces[self.reuse];
        let [func] = interface.functions.values().collect::<Vec<_>>()[..] else {
            bail!("the instance-reuse contract should have one function, it has {}", interface.functions.len());
        };
        let sig = resolve.wasm_signature(AbiVariant::GuestExport, func);
        if !sig.params.is_empty() || sig.results != [WasmType::I32] {
            bail!(
                "the instance-reuse contract's {} should be () -> bool, its core type is {:?} -> {:?}",
                func.name,
                sig.params,
                sig.results
            );
        }
        let export = resolve.wasm_export_name(
            ManglingAndAbi::Legacy(LiftLowerAbi::Sync),
            WasmExport::Func { interface: Some(key), func, kind: WasmExportKind::Normal },
        );
        let id = resolve.id_of(self.reuse).context("the instance-reuse contract has no package")?;
        let unversioned = id.split('@').next().unwrap_or(&id);
        Ok(ExportedFunc { label: format!("{unversioned}#{}", func.name), export })
    }
}
