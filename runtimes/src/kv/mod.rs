//! Key-value stores for guests: `wasi:keyvalue@0.2.0-draft` (store, atomics, batch) plus our
//! `wasm-server:keyvalue/cas` (see `wit/wasm-server/`), over pluggable backends.
//!
//! - [`Backend`]: what a store must do; increments and compare-and-swap are atomic in the
//!   backend itself (one write transaction in redb, a server-side command or script in Redis),
//!   so concurrent instances of any app never lose an update.
//! - Backends are registered in one place, [`StoreConfig`]: each is a module with its own
//!   config type, chosen in a manifest by `backend = "..."`.
//! - [`host`]: the guest-facing implementation; an app opens only the stores its `kv` option
//!   names, so stores are shared between exactly the apps that list them.

pub mod host;
pub mod redb;
pub mod redis;

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Errors of store operations, as the guest sees them (`wasi:keyvalue/store.error`).
#[derive(Debug, Clone, thiserror::Error)]
pub enum KvError {
    #[error("no such store")]
    NoSuchStore,
    #[error("access denied")]
    AccessDenied,
    #[error("{0}")]
    Other(String),
}

impl KvError {
    pub fn other(e: impl std::fmt::Display) -> KvError {
        KvError::Other(e.to_string())
    }
}

/// Counters are decimal ASCII strings, as wasmtime's in-memory `wasi:keyvalue` and Redis's
/// INCRBY keep them, so a guest can read them with `get` and any backend can hold them.
pub fn parse_counter(value: Option<&[u8]>) -> Result<u64, KvError> {
    match value {
        None => Ok(0),
        Some(v) => std::str::from_utf8(v)
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| KvError::Other("value is not a decimal counter".into())),
    }
}

/// One page of `list-keys`.
pub struct KeyPage {
    pub keys: Vec<String>,
    /// Where the next page starts; `None` on the last page.
    pub cursor: Option<u64>,
}

/// A key-value store. Every method is one atomic operation.
#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError>;
    async fn set(&self, key: &str, value: Vec<u8>) -> Result<(), KvError>;
    async fn delete(&self, key: &str) -> Result<(), KvError>;
    async fn exists(&self, key: &str) -> Result<bool, KvError>;
    async fn list_keys(&self, cursor: Option<u64>) -> Result<KeyPage, KvError>;
    /// Adds `delta` to the counter at `key` (absent: 0) and returns the new value.
    async fn increment(&self, key: &str, delta: u64) -> Result<u64, KvError>;
    /// Sets `key` to `value` if its current value is `expected` (`None`: absent).
    async fn compare_and_swap(&self, key: &str, expected: Option<Vec<u8>>, value: Vec<u8>) -> Result<bool, KvError>;

    async fn get_many(&self, keys: Vec<String>) -> Result<Vec<Option<(String, Vec<u8>)>>, KvError> {
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            let v = self.get(&k).await?;
            out.push(v.map(|v| (k, v)));
        }
        Ok(out)
    }
    async fn set_many(&self, pairs: Vec<(String, Vec<u8>)>) -> Result<(), KvError> {
        for (k, v) in pairs {
            self.set(&k, v).await?;
        }
        Ok(())
    }
    async fn delete_many(&self, keys: Vec<String>) -> Result<(), KvError> {
        for k in keys {
            self.delete(&k).await?;
        }
        Ok(())
    }
}

/// A store declared in a manifest (`[stores.NAME]`): the one place backends are registered.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "backend", rename_all = "kebab-case")]
pub enum StoreConfig {
    /// Embedded and persistent (the default): one redb file per store.
    Redb(redb::Config),
    /// A Redis server; keys are prefixed so that stores can share one server.
    Redis(redis::Config),
}

impl StoreConfig {
    /// Opens the store; relative paths are relative to `base` (the manifest's folder).
    pub async fn open(&self, name: &str, base: &Path) -> Result<Arc<dyn Backend>, KvError> {
        Ok(match self {
            StoreConfig::Redb(c) => Arc::new(redb::Redb::open(c, base).await?),
            StoreConfig::Redis(c) => Arc::new(redis::Redis::open(c, name).await?),
        })
    }

    /// A file or server address identifying where the data lives (two stores may not share
    /// one redb file).
    pub fn location(&self, base: &Path) -> String {
        match self {
            StoreConfig::Redb(c) => base.join(&c.path).display().to_string(),
            StoreConfig::Redis(c) => c.url.clone(),
        }
    }
}

/// Opened stores by name, shared by all apps of a server.
pub type Stores = BTreeMap<String, Arc<dyn Backend>>;
