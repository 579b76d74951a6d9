//! The gojs shim for Go commands: world `gojs-shim` of wit/gojs, implemented by the gojs crate.
//! It imports no `wasi:http`, so `wasmtime run` runs the composed command.

#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({
        world: "gojs-shim",
        path: "../../wit/gojs",
    });

    gojs::export_shim!(command);
}
