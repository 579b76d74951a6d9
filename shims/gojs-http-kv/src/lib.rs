//! The gojs shim for Go HTTP handlers that use the host's key-value stores: world
//! `gojs-shim-http-kv` of wit/gojs, implemented by the gojs crate, with `context.kv`
//! (js-web's kv) over wasi:keyvalue.

#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({
        world: "gojs-shim-http-kv",
        path: "../../wit/gojs",
        with: {
            "wasi:http/types@0.2.12": wasip2::http::types,
            "wasi:io/streams@0.2.12": wasip2::io::streams,
            "wasi:io/error@0.2.12": wasip2::io::error,
            "wasi:io/poll@0.2.12": wasip2::io::poll,
            "wasi:clocks/monotonic-clock@0.2.12": wasip2::clocks::monotonic_clock,
            "wasi:keyvalue/store@0.2.0-draft": js_web::kv::bindings::wasi::keyvalue::store,
            "wasi:keyvalue/atomics@0.2.0-draft": js_web::kv::bindings::wasi::keyvalue::atomics,
        },
    });

    gojs::export_shim!(http_kv);
}
