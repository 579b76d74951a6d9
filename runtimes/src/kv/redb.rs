//! The embedded backend: a redb database file per store. Each operation is one redb
//! transaction run on tokio's blocking pool; redb serialises write transactions, which makes
//! increment and compare-and-swap atomic. Commits are durable when they return.

use super::{parse_counter, Backend, KeyPage, KvError};
use ::redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const TABLE: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("kv");
/// Keys per `list-keys` page.
const PAGE: usize = 1000;

/// `[stores.NAME] backend = "redb"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The database file (created when missing); relative to the manifest's folder.
    pub path: PathBuf,
}

pub struct Redb {
    db: Arc<Database>,
}

impl Redb {
    pub async fn open(config: &Config, base: &Path) -> Result<Redb, KvError> {
        let path = base.join(&config.path);
        tokio::task::spawn_blocking(move || {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| KvError::Other(format!("creating {}: {e}", dir.display())))?;
            }
            let db = Database::create(&path).map_err(|e| KvError::Other(format!("opening {}: {e}", path.display())))?;
            // Create the table up front so that readers never see it missing.
            let txn = db.begin_write().map_err(KvError::other)?;
            txn.open_table(TABLE).map_err(KvError::other)?;
            txn.commit().map_err(KvError::other)?;
            Ok(Redb { db: Arc::new(db) })
        })
        .await
        .map_err(KvError::other)?
    }

    async fn read<R: Send + 'static>(
        &self,
        f: impl FnOnce(&::redb::ReadOnlyTable<&'static str, &'static [u8]>) -> Result<R, ::redb::StorageError>
            + Send
            + 'static,
    ) -> Result<R, KvError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let txn = db.begin_read().map_err(KvError::other)?;
            let table = txn.open_table(TABLE).map_err(KvError::other)?;
            f(&table).map_err(KvError::other)
        })
        .await
        .map_err(KvError::other)?
    }

    async fn write<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut ::redb::Table<'_, &'static str, &'static [u8]>) -> Result<R, KvError> + Send + 'static,
    ) -> Result<R, KvError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let txn = db.begin_write().map_err(KvError::other)?;
            let r = {
                let mut table = txn.open_table(TABLE).map_err(KvError::other)?;
                f(&mut table)?
            };
            txn.commit().map_err(KvError::other)?;
            Ok(r)
        })
        .await
        .map_err(KvError::other)?
    }
}

#[async_trait::async_trait]
impl Backend for Redb {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        let key = key.to_owned();
        self.read(move |t| Ok(t.get(key.as_str())?.map(|v| v.value().to_vec()))).await
    }

    async fn set(&self, key: &str, value: Vec<u8>) -> Result<(), KvError> {
        let key = key.to_owned();
        self.write(move |t| {
            t.insert(key.as_str(), value.as_slice()).map_err(KvError::other)?;
            Ok(())
        })
        .await
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        let key = key.to_owned();
        self.write(move |t| {
            t.remove(key.as_str()).map_err(KvError::other)?;
            Ok(())
        })
        .await
    }

    async fn exists(&self, key: &str) -> Result<bool, KvError> {
        let key = key.to_owned();
        self.read(move |t| Ok(t.get(key.as_str())?.is_some())).await
    }

    async fn list_keys(&self, cursor: Option<u64>) -> Result<KeyPage, KvError> {
        let skip = cursor.unwrap_or(0) as usize;
        self.read(move |t| {
            let mut keys = Vec::new();
            let mut more = false;
            for entry in t.iter()?.skip(skip) {
                if keys.len() == PAGE {
                    more = true;
                    break;
                }
                keys.push(entry?.0.value().to_owned());
            }
            let cursor = more.then(|| (skip + keys.len()) as u64);
            Ok(KeyPage { keys, cursor })
        })
        .await
    }

    async fn increment(&self, key: &str, delta: u64) -> Result<u64, KvError> {
        let key = key.to_owned();
        self.write(move |t| {
            let current = {
                let v = t.get(key.as_str()).map_err(KvError::other)?;
                parse_counter(v.as_ref().map(|v| v.value()))?
            };
            let new = current.checked_add(delta).ok_or_else(|| KvError::Other("overflow incrementing value".into()))?;
            t.insert(key.as_str(), new.to_string().as_bytes()).map_err(KvError::other)?;
            Ok(new)
        })
        .await
    }

    async fn compare_and_swap(&self, key: &str, expected: Option<Vec<u8>>, value: Vec<u8>) -> Result<bool, KvError> {
        let key = key.to_owned();
        self.write(move |t| {
            let matches = {
                let v = t.get(key.as_str()).map_err(KvError::other)?;
                v.as_ref().map(|v| v.value()) == expected.as_deref()
            };
            if matches {
                t.insert(key.as_str(), value.as_slice()).map_err(KvError::other)?;
            }
            Ok(matches)
        })
        .await
    }

    async fn set_many(&self, pairs: Vec<(String, Vec<u8>)>) -> Result<(), KvError> {
        self.write(move |t| {
            for (k, v) in &pairs {
                t.insert(k.as_str(), v.as_slice()).map_err(KvError::other)?;
            }
            Ok(())
        })
        .await
    }

    async fn delete_many(&self, keys: Vec<String>) -> Result<(), KvError> {
        self.write(move |t| {
            for k in &keys {
                t.remove(k.as_str()).map_err(KvError::other)?;
            }
            Ok(())
        })
        .await
    }
}
