//! wasm-server-bindgen: take WebAssembly built for the browser and make it run on WASI hosts.
//!
//! The general modules name no toolchain; each flavour is a frontend (see [`frontend`]) in a
//! folder of [`flavours`], and [`flavours::builtins`] is the one list of them.
//!
//! - [`module`] reads a binary into a validated summary ([`module::Input`]: path, bytes, summary).
//! - [`registry`] asks the frontends in turn which one claims it (its flavour, with evidence,
//!   toolchain and app kind).
//! - [`support`] says how each import is satisfied on WASI (WASI's, else the frontend's answer).
//! - [`inspect`] puts these together into a report (text or stable JSON).
//! - [`rewrite`] runs the pipeline: the frontend's check and plan (or typed refusal), its guest
//!   component (wrapped by [`component`] against the [`wit`] tree), composed by [`compose`] with
//!   the [`shim`] the plan names, behind the [`proxy`] stand-ins for `--strict-proxy`.
//!
//! bindgen/README.md draws the data flow.

pub mod component;
pub mod compose;
pub mod error;
pub mod flavours;
pub mod frontend;
pub mod inspect;
pub mod module;
pub mod proxy;
pub mod registry;
pub mod rewrite;
pub mod shim;
pub mod support;
pub mod wit;

pub use error::InputError;
pub use frontend::{Flavour, Frontend};
pub use inspect::{inspect_file, inspect_with, Report, Verdict};
pub use registry::Registry;
pub use rewrite::{rewrite_file, rewrite_with, RewriteError};
