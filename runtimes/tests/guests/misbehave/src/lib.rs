//! Test guest: requests that go wrong on purpose, for the isolation tests.
//!
//!     .../ok      "ok" (the last path segment decides, under any prefix)
//!     /count   how many requests this instance has served, this one included (instance reuse)
//!     /trap    panics (a wasm trap)
//!     /loop    computes forever without calling the host
//!     /hog     allocates memory until the host's limit stops it
//!     /silent  returns without answering (the response's handle dropped)
//!     /keep    returns without answering and keeps the response's handle (in a reused instance
//!              the host never sees it dropped)

#[path = "../../http_util.rs"]
mod http_util;

use http_util::{path, respond};
use wasip2::http::types::{IncomingRequest, ResponseOutparam};

struct Misbehave;

thread_local! {
    /// The response handles `/keep` holds on to.
    static KEPT: std::cell::RefCell<Vec<ResponseOutparam>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Requests served by this instance: 1 on every request of a fresh instance.
static SERVED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl wasip2::exports::http::incoming_handler::Guest for Misbehave {
    fn handle(req: IncomingRequest, out: ResponseOutparam) {
        let path = path(&req);
        let route = path.split('?').next().unwrap_or("/");
        let served = SERVED.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        // The last segment, so that the app answers under any route prefix.
        match route.rsplit('/').next().unwrap_or("") {
            "count" => respond(out, 200, served.to_string().as_bytes()),
            "trap" => panic!("the guest panics on purpose"),
            "loop" => {
                let mut n = 0u64;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "hog" => {
                let mut chunks = Vec::new();
                loop {
                    let mut v = vec![0u8; 1 << 20];
                    v[4096] = 1;
                    chunks.push(std::hint::black_box(v));
                }
            }
            "silent" => drop(out),
            "keep" => KEPT.with(|k| k.borrow_mut().push(out)),
            _ => respond(out, 200, b"ok"),
        }
    }
}

wasip2::http::proxy::export!(Misbehave);
