//! Reading an app's `.wasm`: what it is (core module or component, from the header), and
//! compiling it through the [`ModuleCache`]. Every failure names the file and says what to do.

use crate::cache::{Compiled, ModuleCache, Origin};
use std::path::{Path, PathBuf};
use std::time::Instant;
use wasmtime::Engine;

/// The two kinds of binaries the host runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A core module (WASI preview1 programs).
    CoreModule,
    /// A component (WASI 0.2 commands and `wasi:http/proxy` apps).
    Component,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {}: {error}", path.display())]
    Read { path: PathBuf, error: std::io::Error },
    #[error("{} is not a WebAssembly binary (it starts with {start}); give a .wasm core module or component", path.display())]
    NotWasm { path: PathBuf, start: String },
    #[error("{} is a WebAssembly binary of an unknown version ({version:#x}); this host reads core modules (1) and components (0xd)", path.display())]
    UnknownVersion { path: PathBuf, version: u32 },
    #[error("{} does not compile: {message}", path.display())]
    Compile { path: PathBuf, message: String },
}

/// A wasm file read from disk and classified.
pub struct WasmFile {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    pub kind: Kind,
}

impl WasmFile {
    pub fn read(path: &Path) -> Result<WasmFile, LoadError> {
        let bytes = std::fs::read(path).map_err(|error| LoadError::Read { path: path.into(), error })?;
        let kind = classify(path, &bytes)?;
        Ok(WasmFile { path: path.into(), bytes, kind })
    }

    /// Compiles (or loads from the cache) this file.
    pub fn compile(&self, engine: &Engine, cache: &ModuleCache) -> Result<(Compiled, Origin), LoadError> {
        let start = Instant::now();
        let (compiled, origin) = cache
            .load(engine, &self.bytes, self.kind == Kind::Component)
            .map_err(|e| LoadError::Compile { path: self.path.clone(), message: format!("{e:#}") })?;
        tracing::debug!(path = %self.path.display(), ?origin, elapsed_ms = start.elapsed().as_millis() as u64, "loaded");
        Ok((compiled, origin))
    }
}

fn classify(path: &Path, bytes: &[u8]) -> Result<Kind, LoadError> {
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        let start = if bytes.is_empty() {
            "nothing: the file is empty".to_string()
        } else {
            let head: String = bytes.iter().take(8).map(|b| format!("{b:02x} ")).collect();
            format!("bytes {}", head.trim_end())
        };
        return Err(LoadError::NotWasm { path: path.into(), start });
    }
    let version = u32::from_le_bytes(bytes[4..8].try_into().unwrap());
    match version {
        1 => Ok(Kind::CoreModule),
        0x0001_000d => Ok(Kind::Component),
        v => Err(LoadError::UnknownVersion { path: path.into(), version: v }),
    }
}
