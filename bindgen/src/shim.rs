//! Finding a flavour's shim component: the Rust crate under `shims/<flavour>/`, built for
//! `wasm32-wasip2`. Looked up, in order: the path given (`--shim`), the folder in
//! `$WASM_SERVER_BINDGEN_SHIMS`, then beside the executable and in the cargo target layout
//! around it (so `cargo build` of both is all a checkout needs).

use std::path::{Path, PathBuf};

/// Flavours that have a shim.
#[derive(Debug, Clone, Copy)]
pub enum Flavour {
    /// For Go commands.
    GoJs,
    /// For Go HTTP handlers: the same shim plus the `http` interface (it imports wasi:http,
    /// which `wasmtime run` does not provide, hence a separate build).
    GoJsHttp,
    /// For Go HTTP handlers that use the host's key-value stores: the HTTP shim plus
    /// `context.kv` over wasi:keyvalue (an import only such programs should carry).
    GoJsHttpKv,
}

impl Flavour {
    /// The shim's file name (the cargo artifact of the crate `gojs-shim`).
    pub fn file_name(self) -> &'static str {
        match self {
            Flavour::GoJs => "gojs_shim.wasm",
            Flavour::GoJsHttp => "gojs_shim_http.wasm",
            Flavour::GoJsHttpKv => "gojs_shim_http_kv.wasm",
        }
    }
    pub fn crate_name(self) -> &'static str {
        match self {
            Flavour::GoJs => "gojs-shim",
            Flavour::GoJsHttp => "gojs-shim-http",
            Flavour::GoJsHttpKv => "gojs-shim-http-kv",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ShimError {
    #[error("the {name} shim component was not found (looked at: {looked}); build it with `cargo build --release -p {krate} --target wasm32-wasip2`, or pass --shim FILE")]
    NotFound { name: &'static str, krate: &'static str, looked: String },
    #[error("{path}: cannot read the shim component: {error}")]
    Read { path: PathBuf, error: std::io::Error },
}

pub const ENV_DIR: &str = "WASM_SERVER_BINDGEN_SHIMS";

/// The shim component for `flavour`.
pub fn locate(flavour: Flavour, explicit: Option<&Path>) -> Result<PathBuf, ShimError> {
    if let Some(p) = explicit {
        return if p.is_file() {
            Ok(p.to_path_buf())
        } else {
            Err(ShimError::NotFound { name: flavour.file_name(), krate: flavour.crate_name(), looked: p.display().to_string() })
        };
    }
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::var_os(ENV_DIR) {
        candidates.push(PathBuf::from(dir).join(flavour.file_name()));
    }
    if let Some(exe_dir) = std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf)) {
        candidates.push(exe_dir.join(flavour.file_name()));
        // target/release/wasm-server-bindgen (or target/release/deps/ for test binaries) next
        // to target/wasm32-wasip2/release/<shim>.wasm.
        for target in exe_dir.ancestors().skip(1).take(2) {
            candidates.push(target.join("wasm32-wasip2/release").join(flavour.file_name()));
        }
    }
    candidates.dedup();
    candidates.iter().find(|p| p.is_file()).cloned().ok_or_else(|| ShimError::NotFound {
        name: flavour.file_name(),
        krate: flavour.crate_name(),
        looked: candidates.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "),
    })
}

pub fn read(path: &Path) -> Result<Vec<u8>, ShimError> {
    std::fs::read(path).map_err(|error| ShimError::Read { path: path.into(), error })
}
