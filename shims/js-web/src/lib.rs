//! js-web: the web platform classes on the shared realm (js-realm), on WASI 0.2 — what Go's
//! HTTP handler packages and `net/http`'s fetch transport use today, and what wasm-bindgen's
//! web-sys and .NET's browser runtime call: `Promise`, `Headers` (with iterators),
//! `ReadableStream` (reader and controller), `Request`, `Response`, `fetch` over
//! `wasi:http/outgoing-handler`, serving a JS fetch handler over `wasi:http`
//! ([`http::Server`]), and the host's key-value stores ([`kv`]).
//!
//! Only what those guests reach for, with WHATWG semantics where a guest can observe them; the
//! rest of each class is absent, so a program that needs it fails with a TypeError naming the
//! missing method rather than misbehaving.
//!
//! One deliberate difference: reactions (`then` callbacks, stream `pull`s) run from the event
//! loop's callback queue, not a separate microtask queue; a guest cannot tell the two apart.
//!
//! State: a web object's lives in the object ([`js_realm::HostData`]); the serving state
//! ([`http::Server`]) in the embedding's [`js_realm::host::Extensions`]; the prototypes in the
//! realm's `classes` ([`protos`]). Nothing here names a flavour: a flavour's shim installs
//! what its guests use ([`install`], [`fetch::install`], [`kv::install`]) and drives serving
//! through [`http::Server`].

// Parts are reached only from a flavour's exports, which exist only on wasm32.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

pub mod body;
pub mod fetch;
pub mod headers;
pub mod http;
pub mod kv;
pub mod promise;
pub mod sink;
pub mod stream;

use js_realm::{Obj, Realm, Value};

/// The prototypes of the web classes, kept in the realm's `classes`.
pub struct Protos {
    pub promise: Obj,
    pub headers: Obj,
    pub iterator: Obj,
    pub stream: Obj,
    pub reader: Obj,
    pub controller: Obj,
    pub request: Obj,
    pub response: Obj,
    /// Stores of `context.kv` (see [`kv`]).
    pub kv_store: Obj,
}

/// The web prototypes of `realm` (installed by [`install`]).
pub fn protos(realm: &Realm) -> &Protos {
    realm.classes.get::<Protos>().expect("js_web::install has not run on this realm")
}

/// Adds `Promise`, `Headers`, `ReadableStream`, `Request` and `Response` to `realm`'s global.
/// (`fetch` and `AbortController` are [`fetch::install`]'s: they make a component import
/// `wasi:http/outgoing-handler`.)
pub fn install(realm: &mut Realm) {
    let p = || realm.proto();
    let protos = Protos {
        promise: p(),
        headers: p(),
        iterator: p(),
        stream: p(),
        reader: p(),
        controller: p(),
        request: p(),
        response: p(),
        kv_store: p(),
    };
    realm.classes.insert(protos);
    promise::install(realm);
    headers::install(realm);
    stream::install(realm);
    body::install(realm);
}

/// `{ value, done }`, an iterator (or reader) result.
pub fn iter_result(realm: &Realm, value: Value, done: bool) -> Value {
    let o = realm.object();
    o.set("value", value);
    o.set("done", Value::Bool(done));
    o.into()
}

#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod tests;
