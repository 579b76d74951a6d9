//! Fixtures for the bindgen tests: real guests built from the sources in this repository by
//! their real toolchains (see testkit::guests), never committed binaries.

#![allow(dead_code)]

use std::path::PathBuf;
use testkit::guests::{self, EmccMode, Goos};
use testkit::tools::{repo_root, Versions};

pub struct Fixture {
    pub name: &'static str,
    pub path: PathBuf,
    /// The flavour `inspect` names.
    pub flavour: &'static str,
}

pub fn go_version() -> String {
    Versions::load().expect("ci/versions.sh").go
}

/// Builds (once per process) and returns every fixture.
pub fn all() -> Vec<Fixture> {
    let go = go_version();
    let root = repo_root();
    let raw = guests::cargo_wasm("hello-wasm-bindgen", "wasm32-unknown-unknown").expect("build wasm-bindgen crate");
    let processed = guests::wasm_bindgen_process(&raw).expect("wasm-bindgen processing");
    let c = root.join("samples/c/hello/hello.c");
    vec![
        Fixture {
            name: "go-hello-js",
            path: guests::go_build(&root.join("samples/go/hello"), Goos::Js, &go).unwrap(),
            flavour: "gojs",
        },
        Fixture {
            name: "go-httpget-js",
            path: guests::go_build(&root.join("samples/go/httpget"), Goos::Js, &go).unwrap(),
            flavour: "gojs",
        },
        Fixture {
            // Built against the Workers contract (github.com/syumai/workers, stood in for by a
            // clean-room package with the same API): an HTTP handler, not a command.
            name: "go-workers-js",
            path: guests::go_build(&root.join("conformance/guests/go/workers/app"), Goos::Js, &go).unwrap(),
            flavour: "gojs",
        },
        Fixture {
            name: "go-hello-wasip1",
            path: guests::go_build(&root.join("samples/go/hello"), Goos::Wasip1, &go).unwrap(),
            flavour: "wasi-preview1",
        },
        Fixture { name: "rust-wasm-bindgen-raw", path: raw, flavour: "wasm-bindgen" },
        Fixture { name: "rust-wasm-bindgen-processed", path: processed.wasm, flavour: "wasm-bindgen" },
        Fixture {
            name: "c-emcc-default",
            path: guests::emcc_build(&c, EmccMode::Default).unwrap(),
            flavour: "emscripten",
        },
        Fixture {
            name: "c-emcc-standalone",
            path: guests::emcc_build(&c, EmccMode::Standalone).unwrap(),
            flavour: "emscripten",
        },
        Fixture { name: "dotnet-native", path: guests::dotnet_native_wasm().unwrap(), flavour: "dotnet-mono" },
    ]
}
