//! `context.kv`: the host's key-value stores, for handlers (Go's side is shims/gojs/go/kv).
//! Installed only by shims built for it (Go: shims/gojs-http-kv, world `gojs-shim-http-kv`),
//! because it makes the component import `wasi:keyvalue`.
//!
//! The JS surface, the same under shims/gojs/node/serve.mjs (in memory there):
//!
//! ```text
//! context.kv.open(name)        → store (throws Error when the host refuses the name)
//! store.get(key)               → Uint8Array | null
//! store.set(key, Uint8Array)   → undefined
//! store.delete(key)            → undefined
//! store.exists(key)            → boolean
//! store.keys(prefix)           → Array<string>, sorted
//! store.increment(key, delta)  → number (atomic; the value is decimal ASCII text)
//! ```
//!
//! Synchronous, as the host calls are: no Promise round trip per operation. Host errors are
//! thrown as `Error("kv NAME: …")` (Go's `syscall/js` turns that into a `js.Error` panic that
//! the Go package returns as an error).

use crate::protos;
use js_realm::value::{to_js_string, to_number};
use js_realm::{arg, Host, HostData, JsResult, Obj, Realm, Value};

/// The `wasi:keyvalue` imports (world `web-kv` of wit/js), for shims that compose them: a shim
/// crate maps its world's keyvalue interfaces here with wit-bindgen's `with`.
#[cfg(target_arch = "wasm32")]
pub mod bindings {
    wit_bindgen::generate!({
        world: "web-kv",
        path: "../../wit/js",
        generate_all,
    });
}

/// One opened store.
pub trait Bucket {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String>;
    fn set(&self, key: &str, value: &[u8]) -> Result<(), String>;
    fn delete(&self, key: &str) -> Result<(), String>;
    fn exists(&self, key: &str) -> Result<bool, String>;
    /// Every key (the caller filters and sorts).
    fn keys(&self) -> Result<Vec<String>, String>;
    fn increment(&self, key: &str, delta: u64) -> Result<u64, String>;
}

/// An opened store and its name (for messages).
pub struct KvStore {
    name: String,
    bucket: Box<dyn Bucket>,
}

impl HostData for KvStore {
    fn tag(&self) -> &'static str {
        "KvStore"
    }
}

/// `context.kv = { open(name) }`, and the store prototype's methods.
pub fn install(realm: &Realm, context: &Obj) {
    let kv = realm.object().with_label("kv");
    realm.method(&kv, "open", open);
    context.set("kv", kv.into());
    let proto = &protos(realm).kv_store;
    realm.method(proto, "get", |s, this, a| {
        with_store(s, this, |st| {
            let key = to_js_string(&arg(a, 0));
            st.bucket.get(&key)
        })
        .map(|v| match v {
            Some(bytes) => s.js().realm.uint8array(bytes).into(),
            None => Value::Null,
        })
    });
    realm.method(proto, "set", |s, this, a| {
        let value = bytes_of(&arg(a, 1));
        with_store(s, this, |st| st.bucket.set(&to_js_string(&arg(a, 0)), &value)).map(|()| Value::Undefined)
    });
    realm.method(proto, "delete", |s, this, a| {
        with_store(s, this, |st| st.bucket.delete(&to_js_string(&arg(a, 0)))).map(|()| Value::Undefined)
    });
    realm.method(proto, "exists", |s, this, a| {
        with_store(s, this, |st| st.bucket.exists(&to_js_string(&arg(a, 0)))).map(Value::Bool)
    });
    realm.method(proto, "keys", |s, this, a| {
        let prefix = match arg(a, 0) {
            Value::Undefined | Value::Null => String::new(),
            p => to_js_string(&p),
        };
        let mut keys = with_store(s, this, |st| st.bucket.keys())?;
        keys.retain(|k| k.starts_with(&prefix));
        keys.sort();
        Ok(s.js().realm.array(keys.iter().map(|k| Value::str(k)).collect()).into())
    });
    realm.method(proto, "increment", |s, this, a| {
        let delta = match arg(a, 1) {
            Value::Undefined => 1.0,
            d => to_number(&d),
        };
        if !(delta >= 0.0 && delta.fract() == 0.0 && delta <= 9_007_199_254_740_991.0) {
            return Err(s.js().realm.range_error("kv increment: delta must be a non-negative integer"));
        }
        with_store(s, this, |st| st.bucket.increment(&to_js_string(&arg(a, 0)), delta as u64))
            .map(|n| Value::Number(n as f64))
    });
}

/// `context.kv.open(name)`.
fn open(s: &mut dyn Host, _: &Value, a: &[Value]) -> JsResult {
    let name = to_js_string(&arg(a, 0));
    let realm = &s.js().realm;
    match backend::open(&name) {
        Ok(bucket) => Ok(Obj::with_host(&protos(realm).kv_store, KvStore { name, bucket }).into()),
        Err(e) => Err(realm.error(&realm.error_proto, &format!("kv {name}: {e}")).into()),
    }
}

/// The bytes of a value given to `set`: a Uint8Array's, else its string form's.
fn bytes_of(v: &Value) -> Vec<u8> {
    match v.as_object().and_then(|o| o.bytes().map(|b| b.clone())) {
        Some(b) => b,
        None => to_js_string(v).into_bytes(),
    }
}

fn with_store<R>(s: &mut dyn Host, this: &Value, f: impl FnOnce(&KvStore) -> Result<R, String>) -> Result<R, Value> {
    let realm = &s.js().realm;
    let Some(st) = this.as_object().and_then(|o| o.host::<KvStore>()) else {
        return Err(realm.type_error("kv: not a store"));
    };
    f(&st).map_err(|e| realm.error(&realm.error_proto, &format!("kv {}: {e}", st.name)).into())
}

#[cfg(target_arch = "wasm32")]
mod backend {
    //! wasi:keyvalue/store and atomics, 0.2.0-draft.
    use super::bindings::wasi::keyvalue::{atomics, store};
    use super::Bucket;

    fn message(e: store::Error) -> String {
        match e {
            store::Error::NoSuchStore => "no such store: the host grants none by this name (wasm-server: --kv NAME or `kv` in a manifest; `wasmtime serve -S keyvalue` has only an in-memory store named \"\")".into(),
            store::Error::AccessDenied => "access denied".into(),
            store::Error::Other(m) => m,
        }
    }

    pub fn open(name: &str) -> Result<Box<dyn Bucket>, String> {
        store::open(name).map(|b| Box::new(Wasi(b)) as Box<dyn Bucket>).map_err(message)
    }

    struct Wasi(store::Bucket);

    impl Bucket for Wasi {
        fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
            self.0.get(key).map_err(message)
        }
        fn set(&self, key: &str, value: &[u8]) -> Result<(), String> {
            self.0.set(key, value).map_err(message)
        }
        fn delete(&self, key: &str) -> Result<(), String> {
            self.0.delete(key).map_err(message)
        }
        fn exists(&self, key: &str) -> Result<bool, String> {
            self.0.exists(key).map_err(message)
        }
        fn keys(&self) -> Result<Vec<String>, String> {
            let mut keys = Vec::new();
            let mut cursor = None;
            loop {
                let page = self.0.list_keys(cursor).map_err(message)?;
                keys.extend(page.keys);
                match page.cursor {
                    Some(c) if Some(c) != cursor => cursor = Some(c),
                    _ => return Ok(keys),
                }
            }
        }
        fn increment(&self, key: &str, delta: u64) -> Result<u64, String> {
            atomics::increment(&self.0, key, delta).map_err(message)
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod backend {
    //! Unit tests: stores in memory, one map per name for the thread.
    use super::Bucket;
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    use std::rc::Rc;

    type Map = Rc<RefCell<BTreeMap<String, Vec<u8>>>>;

    thread_local! {
        static STORES: RefCell<BTreeMap<String, Map>> = const { RefCell::new(BTreeMap::new()) };
    }

    pub fn open(name: &str) -> Result<Box<dyn Bucket>, String> {
        if name == "refused" {
            return Err("access denied".into());
        }
        let map = STORES.with(|s| s.borrow_mut().entry(name.into()).or_default().clone());
        Ok(Box::new(Memory(map)))
    }

    struct Memory(Map);

    impl Bucket for Memory {
        fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
            Ok(self.0.borrow().get(key).cloned())
        }
        fn set(&self, key: &str, value: &[u8]) -> Result<(), String> {
            self.0.borrow_mut().insert(key.into(), value.to_vec());
            Ok(())
        }
        fn delete(&self, key: &str) -> Result<(), String> {
            self.0.borrow_mut().remove(key);
            Ok(())
        }
        fn exists(&self, key: &str) -> Result<bool, String> {
            Ok(self.0.borrow().contains_key(key))
        }
        fn keys(&self) -> Result<Vec<String>, String> {
            Ok(self.0.borrow().keys().cloned().collect())
        }
        fn increment(&self, key: &str, delta: u64) -> Result<u64, String> {
            let mut m = self.0.borrow_mut();
            let now = match m.get(key) {
                Some(v) => std::str::from_utf8(v)
                    .ok()
                    .and_then(|t| t.parse::<u64>().ok())
                    .ok_or("the value is not a counter")?,
                None => 0,
            };
            let n = now + delta;
            m.insert(key.into(), n.to_string().into_bytes());
            Ok(n)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestHost;
    use js_realm::Callable;

    fn call(s: &mut dyn Host, target: &Value, method: &str, args: Vec<Value>) -> JsResult {
        let f = target.get(method);
        let Some(Callable::Native(native)) = f.as_object().and_then(Obj::callable) else {
            panic!("{method} is not native")
        };
        native(s, target, &args)
    }

    fn ok(r: JsResult) -> Value {
        r.ok().expect("the call threw")
    }

    /// What a call threw.
    fn thrown(r: JsResult) -> Value {
        match r {
            Ok(_) => panic!("expected a throw"),
            Err(e) => e,
        }
    }

    #[test]
    fn stores_round_trip_values_keys_and_counters() {
        let mut s = TestHost::new();
        let context = s.js.realm.object();
        install(&s.js.realm, &context);
        let kv = context.get("kv");
        let st = call(&mut s, &kv, "open", vec![Value::str("notes")]).ok().unwrap();
        assert!(matches!(ok(call(&mut s, &st, "get", vec![Value::str("a")])), Value::Null));
        let bytes: Value = s.js.realm.uint8array(b"one".to_vec()).into();
        call(&mut s, &st, "set", vec![Value::str("n/a"), bytes]).ok().unwrap();
        call(&mut s, &st, "set", vec![Value::str("n/b"), Value::str("two")]).ok().unwrap();
        call(&mut s, &st, "set", vec![Value::str("other"), Value::str("x")]).ok().unwrap();
        let got = call(&mut s, &st, "get", vec![Value::str("n/a")]).ok().unwrap();
        assert_eq!(got.as_object().unwrap().bytes().unwrap().as_slice(), b"one");
        let keys = call(&mut s, &st, "keys", vec![Value::str("n/")]).ok().unwrap();
        assert_eq!(
            keys.as_object().unwrap().elements().unwrap().iter().map(to_js_string).collect::<Vec<_>>(),
            ["n/a", "n/b"]
        );
        assert!(matches!(ok(call(&mut s, &st, "exists", vec![Value::str("n/b")])), Value::Bool(true)));
        call(&mut s, &st, "delete", vec![Value::str("n/b")]).ok().unwrap();
        assert!(matches!(ok(call(&mut s, &st, "exists", vec![Value::str("n/b")])), Value::Bool(false)));
        assert!(
            matches!(ok(call(&mut s, &st, "increment", vec![Value::str("c"), Value::Number(2.0)])), Value::Number(n) if n == 2.0)
        );
        assert!(matches!(ok(call(&mut s, &st, "increment", vec![Value::str("c")])), Value::Number(n) if n == 3.0));
        // Host errors and bad arguments are thrown, naming the store.
        let e = thrown(call(&mut s, &st, "increment", vec![Value::str("n/a")]));
        assert_eq!(to_js_string(&e.get("message")), "kv notes: the value is not a counter");
        let e = thrown(call(&mut s, &kv, "open", vec![Value::str("refused")]));
        assert_eq!(to_js_string(&e.get("message")), "kv refused: access denied");
        assert!(call(&mut s, &st, "increment", vec![Value::str("c"), Value::Number(-1.0)]).is_err());
    }
}
