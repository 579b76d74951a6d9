//! gojs-shim: the JavaScript surface a Go `GOOS=js GOARCH=wasm` program expects — what
//! `$GOROOT/lib/wasm/wasm_exec.js` plus node's `fs`, `process`, `path` and `crypto` provide
//! under `node wasm_exec_node.js app.wasm` — implemented on WASI 0.2, exporting the
//! `wasm-server-bindgen:gojs` interfaces (shims/wit/gojs/gojs.wit, world `gojs-shim`).
//!
//! Layout, one module per concern:
//! - [`table`]: the ref table Go's NaN-boxed references index (`_values`, `_ids`, …).
//! - [`value`], [`realm`], [`number`]: the JS object model and intrinsics (`Object`, `Array`,
//!   `Uint8Array`, `Error`s), `String(v)` and number formatting.
//! - one module per global: [`fs`], [`process`], [`path`], [`crypto`], [`console`], [`date`],
//!   [`clock`] (`performance`), [`go`] (the Go instance, ref 6).
//! - [`events`]: callbacks, timers and the deadlock probe behind `next-event`.
//! - [`web`]: `Promise`, `Headers`, `ReadableStream`, `Request`, `Response`, and serving
//!   HTTP handlers over `wasi:http` ([`web::http`]).
//! - [`args`]: the argv/env block `run` receives.
//! - [`shim`]: the state and the operation behind each WIT function; [`exports`] binds them.
//! - [`sys`]: the WASI calls (std stand-ins on the host, so the logic unit-tests natively).

// Everything is reached from the exports, which exist only on wasm32; a host build is for tests.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

mod args;
mod clock;
mod console;
mod crypto;
mod date;
mod events;
mod fs;
mod go;
mod number;
mod path;
mod process;
mod realm;
mod shim;
mod sys;
mod table;
mod value;
mod web;

#[cfg(target_arch = "wasm32")]
mod exports;
