//! js-realm: the JavaScript world a browser-targeted guest's glue expects, on WASI 0.2, for
//! every flavour's shim (Go's today; wasm-bindgen's and .NET's next).
//!
//! - [`value`], [`number`]: the object model (`Object`, `Array`, `Uint8Array`, `Error`s,
//!   functions native or the guest's, host objects) and `String(v)` / `ToNumber(v)`.
//! - [`realm`]: the intrinsics (`Object`, `Array`, `Uint8Array`, the `Error` family, `Date`)
//!   and `globalThis`.
//! - one module per platform global: [`console`], [`crypto`], [`date`], [`clock`]
//!   (`performance`).
//! - [`events`]: the callback queue, timers and host waiters a flavour's event loop is made of.
//! - [`host`]: [`Js`] (all of the above, owned by a flavour's shim) and the [`Host`] trait
//!   through which natives reach it, and a flavour's natives their own shim.
//! - [`sys`]: the WASI calls (std stand-ins on the host, so everything unit-tests natively).
//!
//! The web platform (Promise, Headers, streams, Request/Response, fetch, serving over
//! wasi:http) is the js-web crate, layered on this one.

// Parts are reached only from a flavour's exports, which exist only on wasm32.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

pub mod clock;
pub mod console;
pub mod crypto;
pub mod date;
pub mod events;
pub mod host;
pub mod number;
pub mod realm;
pub mod sys;
pub mod value;

pub use events::{Continuation, Events, Waiter};
pub use host::{downcast, Host, Js};
pub use realm::{arg, Realm};
pub use value::{
    ByteBuf, Callable, Function, GuestFn, HostData, JsResult, JsStr, Kind, NativeCtor, NativeFn, Obj, Value,
};
