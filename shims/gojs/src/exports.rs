//! The WIT exports of a gojs shim component, for the thin crates that build one per world
//! (shims/gojs-command, shims/gojs-http, shims/gojs-http-kv): each generates the bindings of
//! its world with wit-bindgen and invokes [`export_shim!`](crate::export_shim), which
//! implements the world's interfaces as thin calls into the one [`Shim`] of the instance.

use std::cell::RefCell;

use crate::shim::Shim;
use js_realm::sys;

thread_local! {
    static SHIM: RefCell<Option<Shim>> = const { RefCell::new(None) };
}

/// Runs `f` on the shim, created from the WASI environment on first use.
pub fn with<R>(f: impl FnOnce(&mut Shim) -> R) -> R {
    SHIM.with(|cell| {
        let mut slot = cell.borrow_mut();
        f(slot.get_or_insert_with(|| Shim::new(sys::startup())))
    })
}

/// Implements the exports of a gojs shim world on `Component`, for the bindings the calling
/// crate generated with `wit_bindgen::generate!` (its `exports` module and `export!` macro):
/// - `export_shim!(command)`: world `gojs-shim` (runtime, js, lifecycle);
/// - `export_shim!(http)`: world `gojs-shim-http` (… and http);
/// - `export_shim!(http_kv)`: world `gojs-shim-http-kv` (… with `context.kv`).
#[macro_export]
macro_rules! export_shim {
    (command) => {
        $crate::export_shim!(@common);
        export!(Component);
    };
    (http) => {
        $crate::export_shim!(@common);
        $crate::export_shim!(@http http_init);
        export!(Component);
    };
    (http_kv) => {
        $crate::export_shim!(@common);
        $crate::export_shim!(@http http_init_kv);
        export!(Component);
    };
    (@common) => {
        use exports::wasm_server_bindgen::gojs::{js, lifecycle, runtime};
        use $crate::exports::with;

        struct Component;

        fn call((r, s): (u64, $crate::shim::CallStatus)) -> (u64, js::CallStatus) {
            let status = match s {
                $crate::shim::CallStatus::Threw => js::CallStatus::Threw,
                $crate::shim::CallStatus::Returned => js::CallStatus::Returned,
                $crate::shim::CallStatus::ResumeGo => js::CallStatus::ResumeGo,
            };
            (r, status)
        }

        impl runtime::Guest for Component {
            fn wasm_exit(code: i32) {
                with(|s| s.wasm_exit(code))
            }
            fn wasm_write(fd: i64, bytes: Vec<u8>) {
                with(|s| s.wasm_write(fd, &bytes))
            }
            fn nanotime() -> i64 {
                with(|s| s.js.clock.nanotime())
            }
            fn walltime() -> (i64, i32) {
                with(|s| s.js.clock.walltime())
            }
            fn schedule_timeout_event(delay_ms: i64) -> i32 {
                with(|s| s.schedule_timeout(delay_ms))
            }
            fn clear_timeout_event(id: i32) {
                with(|s| s.clear_timeout(id))
            }
            fn get_random_data(len: u32) -> Vec<u8> {
                $crate::sys::random_bytes(len as usize)
            }
        }

        impl js::Guest for Component {
            fn finalize_ref(id: u32) {
                with(|s| s.table.finalize(id))
            }
            fn string_val(value: Vec<u8>) -> u64 {
                with(|s| s.string_val(&value))
            }
            fn value_get(v: u64, property: Vec<u8>) -> u64 {
                with(|s| s.value_get(v, &property))
            }
            fn value_set(v: u64, property: Vec<u8>, x: u64) {
                with(|s| s.value_set(v, &property, x))
            }
            fn value_delete(v: u64, property: Vec<u8>) {
                with(|s| s.value_delete(v, &property))
            }
            fn value_index(v: u64, index: i64) -> u64 {
                with(|s| s.value_index(v, index))
            }
            fn value_set_index(v: u64, index: i64, x: u64) {
                with(|s| s.value_set_index(v, index, x))
            }
            fn value_call(v: u64, method: Vec<u8>, args: Vec<u64>) -> (u64, js::CallStatus) {
                call(with(|s| s.value_call(v, &method, &args)))
            }
            fn value_invoke(v: u64, args: Vec<u64>) -> (u64, js::CallStatus) {
                call(with(|s| s.value_invoke(v, &args)))
            }
            fn value_new(v: u64, args: Vec<u64>) -> (u64, js::CallStatus) {
                call(with(|s| s.value_new(v, &args)))
            }
            fn take_callback_result() -> (u64, js::CallStatus) {
                call(with(|s| s.take_callback_result_ref()))
            }
            fn value_length(v: u64) -> i64 {
                with(|s| s.value_length(v))
            }
            fn value_prepare_string(v: u64) -> (u64, i64) {
                with(|s| s.value_prepare_string(v))
            }
            fn value_load_string(v: u64, len: u32) -> Vec<u8> {
                with(|s| s.value_load_string(v, len))
            }
            fn value_instance_of(v: u64, t: u64) -> bool {
                with(|s| s.value_instance_of(v, t))
            }
            fn copy_bytes_to_go(src: u64, len: u32) -> Option<Vec<u8>> {
                with(|s| s.copy_bytes_to_go(src, len))
            }
            fn copy_bytes_to_js(dst: u64, src: Vec<u8>) -> Option<u32> {
                with(|s| s.copy_bytes_to_js(dst, src))
            }
        }

        impl lifecycle::Guest for Component {
            fn prepare_args(base: u32) -> lifecycle::ArgsBlock {
                let b = with(|s| s.prepare_args(base));
                lifecycle::ArgsBlock { argc: b.argc, argv: b.argv, bytes: b.bytes }
            }
            fn next_event() -> bool {
                with(|s| s.next_event())
            }
        }
    };
    (@http $init:ident) => {
        impl exports::wasm_server_bindgen::gojs::http::Guest for Component {
            fn init() {
                with(|s| s.$init())
            }
            fn ready() {
                with(|s| s.http_ready())
            }
            fn is_ready() -> bool {
                with(|s| s.http_is_ready())
            }
            fn begin(request: wasip2::http::types::IncomingRequest, response_out: wasip2::http::types::ResponseOutparam) {
                with(|s| s.http_begin(request, response_out))
            }
            fn in_progress() -> bool {
                with(|s| s.http_in_progress())
            }
            fn begin_direct(request: wasip2::http::types::IncomingRequest, response_out: wasip2::http::types::ResponseOutparam) -> u64 {
                with(|s| s.http_begin_direct(request, response_out))
            }
            fn direct_held(len: u32) -> Vec<u8> {
                with(|s| s.http_direct_held(len))
            }
            fn direct_respond(bytes: Vec<u8>) -> u64 {
                with(|s| s.http_direct_respond(&bytes))
            }
            fn direct_next() -> u64 {
                with(|s| s.http_direct_next())
            }
            fn reusable() -> bool {
                with(|s| s.http_reusable())
            }
        }
    };
}
