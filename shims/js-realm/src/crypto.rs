//! `crypto`: `getRandomValues(typedArray)` (Go's crypto/rand reads through it; the runtime's own
//! entropy comes from `runtime.getRandomData`), backed by `wasi:random`.

use crate::host::Host;
use crate::realm::{arg, type_error, Realm};
use crate::sys;
use crate::value::{JsResult, Value};

/// Web Crypto's per-call limit, which node enforces too.
const MAX_BYTES: usize = 65536;

pub fn install(realm: &Realm) {
    let crypto = realm.object().with_label("crypto");
    realm.method(&crypto, "getRandomValues", get_random_values);
    realm.global.set("crypto", crypto.into());
}

/// Fills the Uint8Array with random bytes and returns it.
fn get_random_values(host: &mut dyn Host, _this: &Value, args: &[Value]) -> JsResult {
    let target = arg(args, 0);
    let Some(mut bytes) = target.as_object().and_then(|o| o.bytes_mut()) else {
        return Err(type_error(host, "The data argument must be an integer-type TypedArray"));
    };
    if bytes.len() > MAX_BYTES {
        let msg = format!(
            "The ArrayBufferView's byte length ({}) exceeds the number of bytes of entropy available via this API ({MAX_BYTES})",
            bytes.len()
        );
        drop(bytes);
        let realm = &host.js().realm;
        let e = realm.error(&realm.error_proto, &msg);
        e.set("name", Value::str("QuotaExceededError"));
        return Err(e.into());
    }
    let random = sys::random_bytes(bytes.len());
    bytes.copy_from_slice(&random);
    drop(bytes);
    Ok(target)
}
