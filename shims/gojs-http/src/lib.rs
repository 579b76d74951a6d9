//! The gojs shim for Go HTTP handlers: world `gojs-shim-http` of wit/gojs, implemented by the
//! gojs crate. The wasi:http resources are the wasip2 crate's, the ones the gojs crate uses.

#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({
        world: "gojs-shim-http",
        path: "../../wit/gojs",
        with: {
            "wasi:http/types@0.2.12": wasip2::http::types,
            "wasi:io/streams@0.2.12": wasip2::io::streams,
            "wasi:io/error@0.2.12": wasip2::io::error,
            "wasi:io/poll@0.2.12": wasip2::io::poll,
            "wasi:clocks/monotonic-clock@0.2.12": wasip2::clocks::monotonic_clock,
        },
    });

    gojs::export_shim!(http);
}
