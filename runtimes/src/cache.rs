//! The on-disk cache of precompiled code: `<dir>/<sha256 of the wasm>-<engine hash>.cwasm`.
//!
//! The engine hash covers everything that changes generated code (wasmtime's version, target,
//! compiler settings, enabled proposals: `Engine::precompile_compatibility_hash`), so a cached
//! file is only ever loaded by an engine that would have produced the same bytes. Files are
//! written to a temporary name and renamed, so concurrent servers never read half a file; a
//! file that fails to load is recompiled and replaced. Within one process, identical wasm
//! files share one compiled artifact.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use wasmtime::component::Component;
use wasmtime::{Engine, Module};

/// Where a compiled artifact came from (logged, and reported by `--verbose` start-up lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Compiled now (and written to the cache when there is one).
    Compiled,
    /// Loaded from a precompiled file in the cache folder.
    Disk,
    /// Already loaded by this process for another app.
    Memory,
}

/// A compiled artifact.
#[derive(Clone)]
pub enum Compiled {
    Module(Module),
    Component(Component),
}

pub struct ModuleCache {
    dir: Option<PathBuf>,
    engine_key: String,
    memo: Mutex<HashMap<String, Compiled>>,
}

/// Feeds `Hash` output into SHA-256 (a stable hash, unlike std's `DefaultHasher`).
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn finish(&self) -> u64 {
        unreachable!("only the digest is read")
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl ModuleCache {
    /// A cache writing to `dir` (created when missing), or an in-process one only.
    pub fn new(engine: &Engine, dir: Option<PathBuf>) -> std::io::Result<ModuleCache> {
        if let Some(d) = &dir {
            std::fs::create_dir_all(d)?;
        }
        let mut h = ShaHasher(Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut h);
        let engine_key = hex(&h.0.finalize()[..8]);
        Ok(ModuleCache { dir, engine_key, memo: Mutex::new(HashMap::new()) })
    }

    /// The default folder: `$XDG_CACHE_HOME/wasm-server` or `~/.cache/wasm-server`.
    pub fn default_dir() -> Option<PathBuf> {
        std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
            .map(|d| d.join("wasm-server"))
    }

    /// Compiles `bytes` (a core module when `component` is false), or loads it from the cache.
    pub fn load(&self, engine: &Engine, bytes: &[u8], component: bool) -> wasmtime::Result<(Compiled, Origin)> {
        let key = format!("{}-{}", hex(&Sha256::digest(bytes)), self.engine_key);
        if let Some(c) = self.memo.lock().unwrap().get(&key) {
            return Ok((c.clone(), Origin::Memory));
        }
        let path = self.dir.as_ref().map(|d| d.join(format!("{key}.cwasm")));
        if let Some(p) = path.as_ref().filter(|p| p.exists()) {
            // SAFETY: files in the cache folder are only written by `store` below, from
            // `serialize` of an engine with the same compatibility hash (part of the name).
            let loaded = unsafe {
                if component {
                    Component::deserialize_file(engine, p).map(Compiled::Component)
                } else {
                    Module::deserialize_file(engine, p).map(Compiled::Module)
                }
            };
            match loaded {
                Ok(c) => {
                    self.memo.lock().unwrap().insert(key, c.clone());
                    return Ok((c, Origin::Disk));
                }
                Err(e) => tracing::warn!(path = %p.display(), error = %e, "ignoring unusable cache entry; recompiling"),
            }
        }
        let compiled = if component {
            Compiled::Component(Component::new(engine, bytes)?)
        } else {
            Compiled::Module(Module::new(engine, bytes)?)
        };
        if let Some(p) = path {
            if let Err(e) = store(&compiled, &p) {
                tracing::warn!(path = %p.display(), error = %e, "could not write the precompiled-module cache");
            }
        }
        self.memo.lock().unwrap().insert(key, compiled.clone());
        Ok((compiled, Origin::Compiled))
    }
}

fn store(compiled: &Compiled, path: &Path) -> wasmtime::Result<()> {
    let bytes = match compiled {
        Compiled::Module(m) => m.serialize()?,
        Compiled::Component(c) => c.serialize()?,
    };
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
