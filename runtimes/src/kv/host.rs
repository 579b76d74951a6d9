//! The guest-facing side: `wasi:keyvalue/{store,atomics,batch}@0.2.0-draft` and
//! `wasm-server:keyvalue/cas`, implemented on a [`KvView`] of the store's state.

use super::{Backend, KvError, Stores};
use std::collections::BTreeSet;
use std::sync::Arc;
use wasmtime::component::{HasData, Linker, Resource, ResourceTable, ResourceTableError};

mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit/wasm-server",
        world: "wasm-server:keyvalue/imports",
        imports: { default: async | trappable },
        with: {
            "wasi:keyvalue/store.bucket": super::Bucket,
        },
        trappable_error_type: {
            "wasi:keyvalue/store.error" => super::KvError,
        },
    });
}

use bindings::wasi::keyvalue::{atomics, batch, store};
use bindings::wasm_server::keyvalue::cas;

/// An opened store, as a guest resource.
pub struct Bucket {
    name: String,
    backend: Arc<dyn Backend>,
}

/// The stores one app may open, out of all the server's.
#[derive(Clone, Default)]
pub struct KvCtx {
    /// Stores the app lists in its `kv` option.
    pub allowed: Arc<Stores>,
    /// Names of every store of the server (to tell "not yours" from "does not exist").
    pub all: Arc<BTreeSet<String>>,
}

pub struct KvView<'a> {
    pub ctx: &'a KvCtx,
    pub table: &'a mut ResourceTable,
}

impl From<ResourceTableError> for KvError {
    fn from(e: ResourceTableError) -> KvError {
        KvError::Other(e.to_string())
    }
}

struct Kv;
impl HasData for Kv {
    type Data<'a> = KvView<'a>;
}

/// Adds the key-value interfaces to a linker; `view` finds the [`KvView`] in the store data.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> KvView<'_>,
) -> wasmtime::Result<()> {
    store::add_to_linker::<T, Kv>(linker, view)?;
    atomics::add_to_linker::<T, Kv>(linker, view)?;
    batch::add_to_linker::<T, Kv>(linker, view)?;
    cas::add_to_linker::<T, Kv>(linker, view)?;
    Ok(())
}

impl KvView<'_> {
    fn bucket(&self, b: &Resource<Bucket>) -> Result<Arc<dyn Backend>, KvError> {
        Ok(self.table.get(b)?.backend.clone())
    }
}

impl store::Host for KvView<'_> {
    async fn open(&mut self, identifier: String) -> Result<Resource<Bucket>, KvError> {
        match self.ctx.allowed.get(&identifier) {
            Some(backend) => Ok(self.table.push(Bucket { name: identifier, backend: backend.clone() })?),
            None if self.ctx.all.contains(&identifier) => {
                tracing::warn!(store = %identifier, "guest opened a key-value store its app does not list in `kv`");
                Err(KvError::AccessDenied)
            }
            None => Err(KvError::NoSuchStore),
        }
    }

    fn convert_error(&mut self, err: KvError) -> wasmtime::Result<store::Error> {
        Ok(match err {
            KvError::NoSuchStore => store::Error::NoSuchStore,
            KvError::AccessDenied => store::Error::AccessDenied,
            KvError::Other(s) => store::Error::Other(s),
        })
    }
}

impl store::HostBucket for KvView<'_> {
    async fn get(&mut self, b: Resource<Bucket>, key: String) -> Result<Option<Vec<u8>>, KvError> {
        self.bucket(&b)?.get(&key).await
    }

    async fn set(&mut self, b: Resource<Bucket>, key: String, value: Vec<u8>) -> Result<(), KvError> {
        self.bucket(&b)?.set(&key, value).await
    }

    async fn delete(&mut self, b: Resource<Bucket>, key: String) -> Result<(), KvError> {
        self.bucket(&b)?.delete(&key).await
    }

    async fn exists(&mut self, b: Resource<Bucket>, key: String) -> Result<bool, KvError> {
        self.bucket(&b)?.exists(&key).await
    }

    async fn list_keys(&mut self, b: Resource<Bucket>, cursor: Option<u64>) -> Result<store::KeyResponse, KvError> {
        let page = self.bucket(&b)?.list_keys(cursor).await?;
        Ok(store::KeyResponse { keys: page.keys, cursor: page.cursor })
    }

    async fn drop(&mut self, b: Resource<Bucket>) -> wasmtime::Result<()> {
        let bucket = self.table.delete(b)?;
        tracing::trace!(store = %bucket.name, "bucket closed");
        Ok(())
    }
}

impl atomics::Host for KvView<'_> {
    async fn increment(&mut self, b: Resource<Bucket>, key: String, delta: u64) -> Result<u64, KvError> {
        self.bucket(&b)?.increment(&key, delta).await
    }
}

impl batch::Host for KvView<'_> {
    async fn get_many(
        &mut self,
        b: Resource<Bucket>,
        keys: Vec<String>,
    ) -> Result<Vec<Option<(String, Vec<u8>)>>, KvError> {
        self.bucket(&b)?.get_many(keys).await
    }

    async fn set_many(&mut self, b: Resource<Bucket>, pairs: Vec<(String, Vec<u8>)>) -> Result<(), KvError> {
        self.bucket(&b)?.set_many(pairs).await
    }

    async fn delete_many(&mut self, b: Resource<Bucket>, keys: Vec<String>) -> Result<(), KvError> {
        self.bucket(&b)?.delete_many(keys).await
    }
}

impl cas::Host for KvView<'_> {
    async fn compare_and_swap(
        &mut self,
        b: Resource<Bucket>,
        key: String,
        expected: Option<Vec<u8>>,
        value: Vec<u8>,
    ) -> Result<bool, KvError> {
        self.bucket(&b)?.compare_and_swap(&key, expected, value).await
    }
}
