//! wasm-server: the reference host of wasm-server-bindgen. It runs WASI command programs
//! (`run`: preview1 core modules and WASI 0.2 components) and serves `wasi:http/proxy`
//! components (`serve`: one app, or many from a manifest with routes, shared key-value stores,
//! outbound allow-lists, memory/CPU/time limits and per-request isolation).
//!
//! - [`options`]: the runtime options, one struct for `run`, `serve` and manifests.
//! - [`units`]: sizes, durations, `KEY=VALUE`, `HOST::GUEST`.
//! - [`engine`], [`cache`], [`loader`]: the engine, the precompiled-module cache, reading apps.
//! - [`host`], [`limits`], [`outbound`], [`kv`]: what a guest's store holds and may reach.
//! - [`command`]: `run`. [`server`] and [`manifest`]: `serve`.

pub mod alloc;
pub mod cache;
pub mod command;
pub mod engine;
pub mod host;
pub mod kv;
pub mod limits;
pub mod loader;
pub mod manifest;
pub mod options;
pub mod outbound;
pub mod server;
pub mod units;
