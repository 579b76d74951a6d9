//! wasm-server-bindgen: take WebAssembly built for the browser (Go `GOOS=js`, Rust
//! wasm-bindgen, emscripten, .NET) and make it run on WASI hosts.
//!
//! - [`module`] reads a binary into a validated summary.
//! - [`flavour`] names the toolchain that made it.
//! - [`support`] says how each import is satisfied on WASI.
//! - [`inspect`] puts these together into a report (text or stable JSON).

pub mod error;
pub mod flavour;
pub mod inspect;
pub mod module;
pub mod support;

pub use error::InputError;
pub use flavour::Flavour;
pub use inspect::{inspect_file, Report, Verdict};
pub mod compose;
pub mod gojs;
pub mod proxy;
pub mod rewrite;
pub mod shim;
