//! gojs: Go's side of the gojs shim — what `$GOROOT/lib/wasm/wasm_exec.js` plus node's `fs`,
//! `process` and `path` give a Go `GOOS=js GOARCH=wasm` program under
//! `node wasm_exec_node.js app.wasm`, on WASI 0.2, behind the `wasm-server-bindgen:gojs`
//! interfaces (wit/gojs/gojs.wit). The JS world itself (object model, intrinsics, console,
//! crypto, Date, performance, the event loop's parts) is the shared realm, js-realm; the web
//! platform (Promise, Headers, streams, Request/Response, fetch, serving over wasi:http,
//! key-value stores) is js-web.
//!
//! Layout, one module per concern:
//! - [`shim`]: the [`Shim`] (Go's state beside the realm) and the `syscall/js` operations
//!   behind each `js` import.
//! - [`table`]: the ref table Go's NaN-boxed references index (`_values`, `_ids`, …).
//! - one module per global node adds: [`fs`], [`process`], [`path`]; [`go`]: the Go instance
//!   (ref 6) and its functions.
//! - [`events`]: `next-event`, Go's event loop over the realm's queue, timers and waiters.
//! - [`serve`]: Go's HTTP handler contracts (Workers `binding.handleRequest`, httpserve's
//!   direct path) over js-web's server.
//! - [`args`]: the argv/env block `run` receives.
//! - [`exports`]: the WIT exports, stamped out by [`export_shim!`] in the thin component
//!   crates, one per world (shims/gojs-command, shims/gojs-http, shims/gojs-http-kv).

// Everything is reached from the exports, which exist only on wasm32; a host build is for tests.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

pub mod args;
pub mod events;
pub mod exports;
pub mod fs;
pub mod go;
pub mod path;
pub mod process;
pub mod serve;
pub mod shim;
pub mod table;

pub use js_realm::sys;
pub use shim::Shim;
