//! Benchmark groups, registered in one table: name, what it measures, entry point.

use crate::report::Group;
use crate::Settings;
use anyhow::Result;

mod anchors;
mod gojs;
mod gojs_http;
pub(crate) mod server;

pub type Entry = (&'static str, &'static str, fn(&Settings) -> Result<Group>);

pub const ALL: &[Entry] = &[
    ("anchors", "Go hello: GOOS=js on node vs GOOS=wasip1 on wasmtime (start-up wall time, peak RSS)", anchors::run),
    ("gojs", "Go GOOS=js rewritten: rewrite time and size (hello, 10 MB net/http program); start-up vs node and GOOS=wasip1", gojs::run),
    ("gojs-http", "Go HTTP handler: node + serve.mjs vs rewritten on wasmtime serve / wasm-server serve vs native Go: req/s, p50/p99, RSS", gojs_http::run),
    ("server", "wasm-server serve vs wasmtime serve: req/s, p50/p99, cold/warm start, RSS with 1,000 apps", server::run),
];
