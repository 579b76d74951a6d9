//! Test guest: a `wasi:http/proxy` hello app (also the benchmark's app).
//!
//!     /               "hello from wasm-server"  (anything not listed below too)
//! `echo`, `log`, `sleep` and `who` also work as the last segment under any prefix (an app
//! routed at `/api` answers `/api/echo`).
//!     /echo           the request body
//!     /env/KEY        the value of environment variable KEY (404 when unset)
//!     /file/NAME      the file /data/NAME of a preopened folder
//!     /log            writes a line to stdout and one to stderr
//!     /sleep?ms=N     answers after N ms (graceful shutdown tests)
//!     .../who         the value of WHO (tells apps apart in routing tests), under any prefix

#[path = "../../http_util.rs"]
mod http_util;

use http_util::{path, query, read_body, respond};
use wasip2::http::types::{IncomingRequest, ResponseOutparam};

struct Hello;

impl wasip2::exports::http::incoming_handler::Guest for Hello {
    fn handle(req: IncomingRequest, out: ResponseOutparam) {
        let path = path(&req);
        let route = path.split('?').next().unwrap_or("/");
        if route.ends_with("/who") {
            respond(out, 200, std::env::var("WHO").unwrap_or_default().as_bytes());
        } else if route.ends_with("/echo") {
            match read_body(&req) {
                Ok(body) => respond(out, 200, &body),
                Err(e) => respond(out, 413, format!("cannot read the body: {e}").as_bytes()),
            }
        } else if let Some(key) = route.strip_prefix("/env/") {
            match std::env::var(key) {
                Ok(v) => respond(out, 200, v.as_bytes()),
                Err(_) => respond(out, 404, b"unset"),
            }
        } else if let Some(name) = route.strip_prefix("/file/") {
            match std::fs::read(format!("/data/{name}")) {
                Ok(v) => respond(out, 200, &v),
                Err(e) => respond(out, 404, e.to_string().as_bytes()),
            }
        } else if route.ends_with("/log") {
            println!("a line on stdout");
            eprintln!("a line on stderr");
            respond(out, 200, b"logged");
        } else if route.ends_with("/sleep") {
            let ms: u64 = query(&path, "ms").and_then(|v| v.parse().ok()).unwrap_or(100);
            wasip2::clocks::monotonic_clock::subscribe_duration(ms * 1_000_000).block();
            respond(out, 200, format!("slept {ms} ms").as_bytes());
        } else {
            respond(out, 200, b"hello from wasm-server\n");
        }
    }
}

wasip2::http::proxy::export!(Hello);
