//! Finding a shim component: a Rust crate under `shims/`, built for `wasm32-wasip2`. Looked up,
//! in order: the path given (`--shim`), the folder in `$WASM_SERVER_BINDGEN_SHIMS`, then beside
//! the executable and in the cargo target layout around it (so `cargo build` of both is all a
//! checkout needs).

use std::path::{Path, PathBuf};

/// A shim component: the file a crate under `shims/` builds for `wasm32-wasip2`. A frontend's
/// plan names the one its guest is composed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shim {
    /// The cargo artifact's file name.
    pub file_name: &'static str,
    /// The crate that builds it, for the message when it is missing.
    pub crate_name: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum ShimError {
    #[error("the {name} shim component was not found (looked at: {looked}); build it with `cargo build --release -p {krate} --target wasm32-wasip2`, or pass --shim FILE")]
    NotFound { name: &'static str, krate: &'static str, looked: String },
    #[error("{path}: cannot read the shim component: {error}")]
    Read { path: PathBuf, error: std::io::Error },
}

pub const ENV_DIR: &str = "WASM_SERVER_BINDGEN_SHIMS";

/// The file of `shim` (or `explicit`, when given).
pub fn locate(shim: &Shim, explicit: Option<&Path>) -> Result<PathBuf, ShimError> {
    if let Some(p) = explicit {
        return if p.is_file() {
            Ok(p.to_path_buf())
        } else {
            Err(ShimError::NotFound { name: shim.file_name, krate: shim.crate_name, looked: p.display().to_string() })
        };
    }
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::var_os(ENV_DIR) {
        candidates.push(PathBuf::from(dir).join(shim.file_name));
    }
    if let Some(exe_dir) = std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf)) {
        candidates.push(exe_dir.join(shim.file_name));
        // target/release/wasm-server-bindgen (or target/release/deps/ for test binaries) next
        // to target/wasm32-wasip2/release/<shim>.wasm.
        for target in exe_dir.ancestors().skip(1).take(2) {
            candidates.push(target.join("wasm32-wasip2/release").join(shim.file_name));
        }
    }
    candidates.dedup();
    candidates.iter().find(|p| p.is_file()).cloned().ok_or_else(|| ShimError::NotFound {
        name: shim.file_name,
        krate: shim.crate_name,
        looked: candidates.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "),
    })
}

pub fn read(path: &Path) -> Result<Vec<u8>, ShimError> {
    std::fs::read(path).map_err(|error| ShimError::Read { path: path.into(), error })
}
