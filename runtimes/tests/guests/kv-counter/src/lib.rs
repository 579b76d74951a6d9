//! Test guest: a counter on `wasi:keyvalue` plus wasm-server's compare-and-swap.
//! The store is `?store=NAME` (default `counters`). Commands are found after any route prefix.
//!
//!     /incr/KEY         atomics.increment by 1; answers the new value
//!     /cas/KEY          get + compare-and-swap(old, old+1) until it succeeds; answers the new
//!                       value (header x-retries: failed attempts)
//!     /get/KEY          the value (404 when absent)
//!     /set/KEY?v=TEXT   sets the value
//!     /delete/KEY       deletes it
//!     /keys             every key, one a line (all pages of list-keys)
//!     /many/K1,K2       get-many: `K=V` lines (`K` alone when absent)
//! A store error answers 500 (403 for access-denied, 404 for no-such-store) with its text.

#[path = "../../http_util.rs"]
mod http_util;

mod bindings {
    wit_bindgen::generate!({
        path: "../../../../wit/wasm-server",
        world: "wasm-server:keyvalue/imports",
        generate_all,
    });
}

use bindings::wasi::keyvalue::{atomics, batch, store};
use bindings::wasm_server::keyvalue::cas;
use http_util::{path, query, respond, respond_with};
use wasip2::http::types::{IncomingRequest, ResponseOutparam};

struct Counter;

fn fail(out: ResponseOutparam, e: store::Error) {
    let (status, text) = match e {
        store::Error::NoSuchStore => (404, "no-such-store".to_string()),
        store::Error::AccessDenied => (403, "access-denied".to_string()),
        store::Error::Other(s) => (500, s),
    };
    respond(out, status, text.as_bytes())
}

/// The command and key of a path: the first segment that names a command, and what follows
/// (so the app answers under any route prefix: `/one/incr/k`).
fn command(route: &str) -> (&str, &str) {
    const COMMANDS: [&str; 7] = ["incr", "cas", "get", "set", "delete", "keys", "many"];
    let mut rest = route;
    while let Some(r) = rest.strip_prefix('/') {
        let (seg, tail) = r.split_once('/').unwrap_or((r, ""));
        if COMMANDS.contains(&seg) {
            return (seg, tail);
        }
        rest = &r[seg.len()..];
    }
    ("", "")
}

fn handle(path: &str, out: ResponseOutparam) -> Result<(), (ResponseOutparam, store::Error)> {
    let (cmd, key) = command(path.split('?').next().unwrap_or("/"));
    let name = query(path, "store").unwrap_or("counters");
    let bucket = match store::open(name) {
        Ok(b) => b,
        Err(e) => return Err((out, e)),
    };
    macro_rules! try_kv {
        ($e:expr) => {
            match $e {
                Ok(v) => v,
                Err(e) => return Err((out, e)),
            }
        };
    }
    if cmd == "incr" {
        let v = try_kv!(atomics::increment(&bucket, key, 1));
        respond(out, 200, v.to_string().as_bytes());
    } else if cmd == "cas" {
        let mut retries = 0u32;
        loop {
            let old = try_kv!(bucket.get(key));
            let n: u64 = old.as_deref().map_or(0, |v| std::str::from_utf8(v).unwrap().parse().unwrap());
            let new = (n + 1).to_string();
            if try_kv!(cas::compare_and_swap(&bucket, key, old.as_deref(), new.as_bytes())) {
                respond_with(out, 200, &[("x-retries", &retries.to_string())], new.as_bytes());
                break;
            }
            retries += 1;
        }
    } else if cmd == "get" {
        match try_kv!(bucket.get(key)) {
            Some(v) => respond(out, 200, &v),
            None => respond(out, 404, b"absent"),
        }
    } else if cmd == "set" {
        try_kv!(bucket.set(key, query(path, "v").unwrap_or("").as_bytes()));
        respond(out, 200, b"set");
    } else if cmd == "delete" {
        try_kv!(bucket.delete(key));
        respond(out, 200, b"deleted");
    } else if cmd == "keys" {
        let mut keys = Vec::new();
        let mut cursor = None;
        loop {
            let page = try_kv!(bucket.list_keys(cursor));
            keys.extend(page.keys);
            cursor = page.cursor;
            if cursor.is_none() {
                break;
            }
        }
        keys.sort();
        respond(out, 200, keys.join("\n").as_bytes());
    } else if cmd == "many" {
        let keys: Vec<String> = key.split(',').map(String::from).collect();
        let got = try_kv!(batch::get_many(&bucket, &keys));
        let lines: Vec<String> = keys
            .iter()
            .zip(got)
            .map(|(k, v)| match v {
                Some((_, v)) => format!("{k}={}", String::from_utf8_lossy(&v)),
                None => k.clone(),
            })
            .collect();
        respond(out, 200, lines.join("\n").as_bytes());
    } else {
        respond(out, 404, b"unknown route");
    }
    Ok(())
}

impl wasip2::exports::http::incoming_handler::Guest for Counter {
    fn handle(req: IncomingRequest, out: ResponseOutparam) {
        if let Err((out, e)) = handle(&path(&req), out) {
            fail(out, e);
        }
    }
}

wasip2::http::proxy::export!(Counter);
