//! Serving a Go HTTP handler (the Workers fetch contract) over `wasi:http`: the guest's
//! generated `handle` calls `init` (before Go's `run`), waits for `ready`, then `begin`s each
//! request and resumes Go while `in_progress`. The serving itself is the shared web platform's
//! (js_web::http): here is what is Go's —
//! - the contract of the Workers ports of Go (`github.com/syumai/workers`,
//!   `wasm-server-bindgen/gojs/httpserve`): `globalThis.context = { binding }`, `workers.ready`,
//!   `binding.handleRequest`, `binding.multiRequest`;
//! - httpserve's direct path (Go 1.24+, `//go:wasmexport`): a request goes into Go as bytes,
//!   its body as Go pulls it, and its response comes back as records (httpserve/direct.go),
//!   bypassing syscall/js;
//! - what happens when Go has exited or stalled.
//!
//! Nothing here is reached from a command's exports: a command shim links none of it (nor
//! imports `wasi:http`).

use crate::shim::Shim;
use js_realm::{Host, Obj, Value, Waiter};
use js_web::http::{self as server, Exchange, Sent, Server, UrlFor};
use js_web::stream::Pulled;
use std::collections::VecDeque;
use wasip2::http::types::{IncomingRequest, ResponseOutparam};
use wasip2::io::poll::Pollable;

/// What Go's stderr messages about serving start with.
const LOG_PREFIX: &str = "gojs http";

/// Go's side of serving.
#[derive(Default)]
pub struct GoHttp {
    ready: bool,
    binding: Option<Obj>,
    /// Go has exited (a Workers program returns from main after its first response).
    pub go_exited: bool,
    /// The direct path (see `http_begin_direct`): the bytes held for Go (a request head or a
    /// body delivery), and the last id given.
    direct_held: Vec<u8>,
    direct_ids: u32,
    /// The direct path: answers to records that waited in the event loop (a body pull, a body
    /// chunk), for the caller to hand to Go before it resumes Go (`http.direct-next`).
    direct_ready: VecDeque<Delivery>,
}

/// An answer for Go that came after its record was handed over (see `direct_ready`).
enum Delivery {
    /// Bytes (possibly none) for Go's `wsb_http_body` with this kind.
    Held(u64, Vec<u8>),
    /// The client has gone away: cancel the request in Go.
    Cancel,
}

impl Shim {
    /// http.init: `globalThis.context = { binding: {} }` and serving mode.
    pub fn http_init(&mut self) {
        // Go's net/http uses fetch unless process.argv0 starts with "node" (its test-runner
        // heuristic); a handler host is where it must (as under shims/gojs/node/serve.mjs).
        let realm = &self.js.realm;
        if let Value::Object(p) = realm.global.get("process") {
            p.set("argv0", Value::str("wasm-server-bindgen-serve"));
        }
        let binding = realm.object();
        // httpserve's direct path: this host answers each body chunk once it is written
        // (DELIVER_SENT), so a client that does not read holds only the handler's writer.
        binding.set("directSentAcks", Value::Bool(true));
        let context = realm.object();
        context.set("binding", binding.clone().into());
        realm.global.set("context", context.into());
        server::install(self, LOG_PREFIX);
        self.http.binding = Some(binding);
        self.events.serving = true;
        self.events.on_idle = Some(Shim::http_idle);
    }

    /// http.init of the shim with the host's key-value stores: also `context.kv` (over
    /// wasi:keyvalue, which only that shim imports).
    pub fn http_init_kv(&mut self) {
        self.http_init();
        let realm = &self.js.realm;
        if let Value::Object(context) = realm.global.get("context") {
            js_web::kv::install(realm, &context);
        }
    }

    pub fn http_ready(&mut self) {
        self.http.ready = true;
    }

    pub fn http_is_ready(&self) -> bool {
        self.http.ready
    }

    /// The serving state (installed by `http.init`; found without a virtual call, as this is
    /// looked up several times per request).
    #[inline]
    fn server(&mut self) -> &mut Server {
        self.js.ext.get_mut::<Server>().expect("http.init has not run")
    }

    /// Whether another request can be served here: Go still runs, said it serves many
    /// (`binding.multiRequest`, as under shims/gojs/node/serve.mjs) and no handler stalled.
    pub fn http_reusable(&mut self) -> bool {
        let multi = self.http.binding.as_ref().is_some_and(|b| matches!(b.get("multiRequest"), Value::Bool(true)));
        multi && !self.http.go_exited && !self.server().stalled && !self.http_busy()
    }

    /// http.in-progress: the request is not answered yet, or it left Go work to do now (the
    /// direct path cancelled a handler whose client went away: its goroutines must see that
    /// before the call returns).
    pub fn http_in_progress(&mut self) -> bool {
        let busy = self.http_busy();
        if !busy {
            self.release_request_body();
        }
        busy
    }

    /// The request's unread body goes (see js_web::http::Server::release_request_body).
    fn release_request_body(&mut self) {
        if let Some(s) = self.server().release_request_body() {
            js_web::stream::cancel(self, &s, Value::Undefined);
        }
    }

    fn http_busy(&mut self) -> bool {
        self.server().active() || self.events.go_runnable
    }

    /// The event loop has nothing left while serving: a request still in progress can never
    /// complete; either way the request's body goes.
    fn http_idle(&mut self) {
        let why = if self.http.go_exited {
            "the Go program exited before the response was complete"
        } else {
            "the handler can never finish: every goroutine is blocked and no timer is pending"
        };
        if server::stall(self, why) {
            self.deliver_later(Delivery::Cancel);
        }
        self.release_request_body();
    }

    /// http.begin: the Workers path (see js_web::http::serve_js), with Go's refusals.
    pub fn http_begin(&mut self, request: IncomingRequest, out: ResponseOutparam) {
        if self.server().active() {
            // One request at a time per instance (the generated handle serves them in turn).
            return server::send_error(out, 503, b"Service Unavailable: instance busy\n");
        }
        if self.http.go_exited {
            // A host that reuses instances without asking `wasm-server:instance/reuse`.
            let why = "this instance already served its one request: the Go program returned from main after its first response (the Workers contract without binding.multiRequest); serve it with a fresh instance per request (the default of wasmtime serve and wasm-server serve)";
            return server::refuse(self, out, 503, why, format!("Service Unavailable: {why}\n").as_bytes());
        }
        let handler = self.http.binding.as_ref().map(|b| b.get("handleRequest")).unwrap_or_default();
        let Some(handler) = handler.as_object().filter(|h| h.is_callable()).cloned() else {
            let why = if self.http.ready {
                "binding.handleRequest is not a function"
            } else {
                "the Go program did not call workers.ready (did main reach Serve?)"
            };
            return server::refuse_internal(self, out, why);
        };
        server::serve_js(self, request, out, handler);
    }

    /// http.begin-direct: a request, for a Go program that serves the direct path
    /// (httpserve/direct.go), is held as bytes for Go instead of becoming a JS Request: its
    /// method, URL and header fields as the client sent them (repeated names apart, values as
    /// bytes), and whether a body follows (`request_body`); the body is read as Go pulls it
    /// (`direct_record`). Anything else goes through `http_begin`.
    pub fn http_begin_direct(&mut self, request: IncomingRequest, out: ResponseOutparam) -> u64 {
        let direct = self.http.ready
            && !self.http.go_exited
            && !self.server().active()
            && self.http.binding.as_ref().is_some_and(|b| matches!(b.get("directRequests"), Value::Bool(true)));
        if !direct {
            self.http_begin(request, out);
            return 0;
        }
        let (method, url, fields) = server::request_parts(&request, UrlFor::GoServer);
        let request_body = server::request_body(&request, &method, None);
        drop(request);
        let mut head = Vec::with_capacity(256);
        put_bytes(&mut head, method.as_bytes());
        put_bytes(&mut head, url.as_bytes());
        put_fields(&mut head, &fields);
        head.extend_from_slice(&u32::from(request_body.is_some()).to_le_bytes());
        self.http.direct_ids = self.http.direct_ids.wrapping_add(1).max(1);
        let id = self.http.direct_ids;
        self.server().start(Exchange::new(out, Some(id), request_body, None));
        // Answers still queued for an earlier request are moot: its exchange has ended.
        self.http.direct_ready.clear();
        let len = head.len() as u64;
        self.http.direct_held = head;
        // Once Go has the request (wsb_http_request), its handler is runnable.
        self.events.go_runnable = true;
        u64::from(id) << 32 | len
    }

    /// http.direct-held: the bytes held for Go (the caller asked for exactly their length).
    pub fn http_direct_held(&mut self, len: u32) -> Vec<u8> {
        let mut held = std::mem::take(&mut self.http.direct_held);
        held.truncate(len as usize);
        held
    }

    /// http.direct-respond: one record of Go's (kinds and layout: httpserve/direct.go), and
    /// what the caller does next (see the WIT). Records of an earlier request (a handler still
    /// writing after its response was cut) are dropped, and a handler still streaming there
    /// is cancelled.
    pub fn http_direct_respond(&mut self, record: &[u8]) -> u64 {
        let mut r = Reader(record);
        let (Some(kind), Some(id)) = (r.byte(), r.u32()) else {
            self.http_fail(500, "a malformed response record from Go");
            return DIRECT_NEXT;
        };
        if self.http.go_exited {
            // What Go wrote before it exited still goes out; nothing is cancelled in a Go that
            // has stopped, and nothing is delivered to it (its exports must not run again).
            if kind != b'B' {
                let _ = self.direct_record(kind, id, r);
            }
            return DIRECT_NEXT;
        }
        self.direct_record(kind, id, r)
    }

    /// One record of `http_direct_respond`, past its kind and id.
    fn direct_record(&mut self, kind: u8, id: u32, mut r: Reader<'_>) -> u64 {
        if !self.direct_current(id) {
            // An earlier request's (its response was cut): a handler still streaming to nobody
            // is cancelled, and Go must run for it to see that. A pull there gets nothing: the
            // reader sees its request's context end.
            let streaming = matches!(kind, b'H' | b'C' | b'D');
            self.events.go_runnable |= streaming;
            return if streaming { DIRECT_CANCEL } else { DIRECT_NEXT };
        }
        let malformed = |shim: &mut Shim| {
            shim.http_fail(500, "a malformed response record from Go");
            DIRECT_NEXT
        };
        match kind {
            b'R' => {
                let (Some(status), Some(fields), Some(trailers)) = (r.u32(), r.fields(), r.fields()) else {
                    return malformed(self);
                };
                let server = self.server();
                server.send_head(status, &fields);
                if r.0.is_empty() || server.write(r.0) {
                    let trailers = server.trailers(&trailers);
                    server.finish_body(trailers);
                } else if let Some(ex) = server.exchange.as_mut() {
                    // The client went away (the handler is done).
                    ex.client_gone();
                }
                DIRECT_NEXT
            }
            b'H' => {
                let (Some(status), Some(fields)) = (r.u32(), r.fields()) else { return malformed(self) };
                self.server().send_head(status, &fields);
                DIRECT_NEXT
            }
            b'C' if self.http_sent_acks() => self.direct_drain(id, r.0),
            // After a DELIVER_SEND_WAIT, which this shim does not send (it answers when the
            // client has taken the chunk), a writer asks again: answered as a chunk.
            b'D' => self.direct_drain(id, &[]),
            b'C' => {
                if self.server().write(r.0) {
                    // The handler's writer waits for this chunk to be taken.
                    self.events.go_runnable = true;
                    return DIRECT_NEXT;
                }
                self.direct_client_gone()
            }
            b'E' => {
                let Some(trailers) = r.fields() else { return malformed(self) };
                let server = self.server();
                let trailers = server.trailers(&trailers);
                server.finish_body(trailers);
                DIRECT_NEXT
            }
            b'A' => {
                let why = String::from_utf8_lossy(r.0).into_owned();
                self.http_fail(500, &format!("the handler failed: {why}"));
                DIRECT_NEXT
            }
            b'B' => {
                let Some(max) = r.u32() else { return malformed(self) };
                self.direct_pull(id, max)
            }
            _ => malformed(self),
        }
    }

    /// A pull of the request body (at most `max` bytes): the next bytes, or the end with the
    /// trailers, or why reading failed, held for Go. When the client has sent nothing more yet,
    /// the pull waits in the event loop ([`DirectPull`]) beside Go's timers and its other
    /// records, as a read of a socket does under node: a handler's deadline fires during a
    /// stalled upload, and a response body chunk or another goroutine's work goes on. Its
    /// answer goes to Go once the bytes come (`http_direct_next`).
    fn direct_pull(&mut self, id: u32, max: u32) -> u64 {
        match self.pull_now(max) {
            Some((kind, held)) => self.hold_for_go(kind, held),
            None => {
                self.js.events.wait_for(Box::new(DirectPull { id, max }));
                DIRECT_NEXT
            }
        }
    }

    /// What a pull of at most `max` bytes gets now, as a delivery's kind and bytes; None while
    /// the client has sent nothing more.
    fn pull_now(&mut self, max: u32) -> Option<(u64, Vec<u8>)> {
        let ex = self.server().exchange.as_mut()?;
        let Some(body) = ex.request_body.as_mut() else {
            // No body (or it was delivered to its end already): the end, with no trailers.
            return Some((DELIVER_END, 0u32.to_le_bytes().to_vec()));
        };
        let (kind, held) = match body.read_now(u64::from(max.max(1))) {
            Ok(Pulled::Bytes(bytes)) => return Some((DELIVER_BYTES, bytes)),
            Ok(Pulled::NotYet) => return None,
            Ok(Pulled::End) => match body.trailers() {
                Ok(list) => {
                    let mut held = Vec::new();
                    put_fields(&mut held, &list);
                    (DELIVER_END, held)
                }
                Err(why) => (DELIVER_ERROR, why.into_bytes()),
            },
            Err(why) => (DELIVER_ERROR, why.into_bytes()),
        };
        ex.request_body = None;
        Some((kind, held))
    }

    /// The request `id` is the one being served: a waiter of an earlier one has nothing to do.
    fn direct_current(&mut self, id: u32) -> bool {
        self.server().serving(id)
    }

    /// Go's direct path takes DELIVER_SENT for its body chunks (it said `binding.directSent`,
    /// having seen this host's `directSentAcks`).
    fn http_sent_acks(&self) -> bool {
        self.http.binding.as_ref().is_some_and(|b| matches!(b.get("directSent"), Value::Bool(true)))
    }

    /// Writes the body chunk Go handed over (a C record; none for a D record): once the client
    /// has taken all of it, Go's writer hears DELIVER_SENT and writes the next. What the client
    /// does not take now waits in the event loop ([`DirectSend`]) beside Go's timers and its
    /// other records (the handler's reads of the request body among them), and the answer goes
    /// to Go once the client has taken it (`http_direct_next`). A client gone cancels the
    /// request.
    fn direct_drain(&mut self, id: u32, chunk: &[u8]) -> u64 {
        match self.server().send(chunk) {
            Sent::All => self.hold_for_go(DELIVER_SENT, Vec::new()),
            Sent::Partly => {
                let first =
                    self.server().exchange.as_mut().is_some_and(|ex| !std::mem::replace(&mut ex.send_waiting, true));
                if first {
                    self.js.events.wait_for(Box::new(DirectSend { id }));
                }
                DIRECT_NEXT
            }
            Sent::Failed => {
                match self.server().exchange.as_ref() {
                    None => DIRECT_CANCEL,
                    // No body to write to (the client went away, or the body has ended):
                    // nothing to wait for.
                    Some(ex) if ex.body_stream().is_none() => self.hold_for_go(DELIVER_SENT, Vec::new()),
                    Some(_) => self.direct_client_gone(),
                }
            }
        }
    }

    /// Queues an answer for Go (`http_direct_next`); Go runs once it has it. A Go that has
    /// exited gets none (it must not run again; what it wrote still goes out).
    fn deliver_later(&mut self, delivery: Delivery) {
        if self.http.go_exited {
            return;
        }
        self.http.direct_ready.push_back(delivery);
        self.events.go_runnable = true;
    }

    /// http.direct-next: an answer that waited (see `direct_ready`), read as `direct-respond`'s
    /// result, for the request being served; 0 when none is left.
    pub fn http_direct_next(&mut self) -> u64 {
        if self.http.go_exited {
            // Go's exports must not run again.
            self.http.direct_ready.clear();
        }
        // Go runs next (the caller resumes it after the answers): no further resume is owed.
        match self.http.direct_ready.pop_front() {
            None => DIRECT_NEXT,
            Some(Delivery::Cancel) => DIRECT_CANCEL,
            Some(Delivery::Held(kind, bytes)) => self.hold(kind, bytes),
        }
    }

    /// A body chunk could not be written on the direct path: the client went away. The caller
    /// cancels the handler's context, and Go must run for the handler to see it.
    fn direct_client_gone(&mut self) -> u64 {
        if let Some(ex) = self.server().exchange.as_mut() {
            ex.client_gone();
        }
        self.events.go_runnable = true;
        DIRECT_CANCEL
    }

    /// Holds `bytes` for Go's `wsb_http_body` with `kind` (the caller copies them over); the
    /// reader is runnable once they are there.
    fn hold_for_go(&mut self, kind: u64, bytes: Vec<u8>) -> u64 {
        self.events.go_runnable = true;
        self.hold(kind, bytes)
    }

    /// Holds `bytes` for Go's `wsb_http_body` with `kind`: the caller's answer.
    fn hold(&mut self, kind: u64, bytes: Vec<u8>) -> u64 {
        let len = bytes.len() as u64;
        self.http.direct_held = bytes;
        kind << 32 | len
    }

    /// Ends the request with an error response if none was sent, or cuts the body short. A
    /// body's writer that waited for its chunk's answer (a malformed record came meanwhile)
    /// never gets it now: the request is cancelled in Go instead.
    fn http_fail(&mut self, status: u16, why: &str) {
        if server::fail(self, status, why) {
            self.deliver_later(Delivery::Cancel);
        }
    }
}

/// The direct path: a pull (of at most `max` bytes) of request `id`'s body that the client has
/// sent nothing more for yet.
struct DirectPull {
    id: u32,
    max: u32,
}

impl Waiter for DirectPull {
    /// The client's next bytes; None (the waiter runs at once) when the request has ended or
    /// its body has no stream left to wait on.
    fn pollables(&self, host: &mut dyn Host) -> Option<Vec<Pollable>> {
        let shim = crate::shim::of(host);
        if !shim.direct_current(self.id) {
            return None;
        }
        let body = shim.server().exchange.as_ref()?.request_body.as_ref()?;
        js_web::stream::HostSource::subscribe(body).map(|p| vec![p])
    }

    /// The pull may have its answer now.
    fn run(self: Box<Self>, host: &mut dyn Host) {
        let shim = crate::shim::of(host);
        if !shim.direct_current(self.id) {
            // The request has ended; its reader sees its context end.
            return;
        }
        match shim.pull_now(self.max) {
            Some((kind, held)) => shim.deliver_later(Delivery::Held(kind, held)),
            None => shim.js.events.wait_for(self),
        }
    }
}

/// The direct path: the rest of request `id`'s body chunk, which the client has not taken yet
/// (Go's writer waits for DELIVER_SENT).
struct DirectSend {
    id: u32,
}

impl Waiter for DirectSend {
    /// Room in the response body's stream; None (the waiter runs at once) when the request has
    /// ended.
    fn pollables(&self, host: &mut dyn Host) -> Option<Vec<Pollable>> {
        let shim = crate::shim::of(host);
        if !shim.direct_current(self.id) {
            return None;
        }
        shim.server().body_pollable().map(|p| vec![p])
    }

    /// What is left of the chunk goes out; once the client has taken all of it, Go's writer
    /// hears DELIVER_SENT.
    fn run(self: Box<Self>, host: &mut dyn Host) {
        let shim = crate::shim::of(host);
        if !shim.direct_current(self.id) {
            // The request has ended: a handler that failed had its writer cancelled then.
            return;
        }
        let Some(ex) = shim.server().exchange.as_mut() else { return };
        let sent = ex.write_unsent();
        // Still waiting when the client has not taken all of it.
        ex.send_waiting = matches!(sent, Ok(false));
        if sent.is_err() {
            ex.client_gone();
        }
        match sent {
            Ok(true) => shim.deliver_later(Delivery::Held(DELIVER_SENT, Vec::new())),
            Ok(false) => shim.js.events.wait_for(self),
            Err(_) => shim.deliver_later(Delivery::Cancel),
        }
    }
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

/// A count and that many (name, value) pairs (read back by `Reader::fields`).
fn put_fields<N: AsRef<[u8]>, V: AsRef<[u8]>>(out: &mut Vec<u8>, fields: &[(N, V)]) {
    out.extend_from_slice(&(fields.len() as u32).to_le_bytes());
    for (name, value) in fields {
        put_bytes(out, name.as_ref());
        put_bytes(out, value.as_ref());
    }
}

/// What the caller of `http.direct-respond` does next: nothing, or cancel the record's request
/// in Go; any other result is a delivery (kind << 32 | length, kinds: httpserve/direct.go).
const DIRECT_NEXT: u64 = 0;
const DIRECT_CANCEL: u64 = 1;
const DELIVER_BYTES: u64 = 1;
const DELIVER_END: u64 = 2;
const DELIVER_ERROR: u64 = 3;
const DELIVER_SENT: u64 = 5;

/// Reads a record of Go's direct path (layout: httpserve/direct.go).
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn u32(&mut self) -> Option<u32> {
        let (n, rest) = self.0.split_first_chunk::<4>()?;
        self.0 = rest;
        Some(u32::from_le_bytes(*n))
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        let (b, rest) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = rest;
        Some(b)
    }
    /// A count and that many (name, value) pairs.
    fn fields(&mut self) -> Option<Vec<(String, Vec<u8>)>> {
        let n = self.u32()?;
        let mut list = Vec::with_capacity(n.min(256) as usize);
        for _ in 0..n {
            let name = String::from_utf8_lossy(self.bytes()?).into_owned();
            list.push((name, self.bytes()?.to_vec()));
        }
        Some(list)
    }
}

#[cfg(test)]
mod tests {
    use super::{put_fields, Reader};

    /// A record as httpserve/direct.go writes it: kind, id, status, fields, then the body.
    fn whole(fields: &[(&str, &[u8])], body: &[u8]) -> Vec<u8> {
        let mut b = vec![b'R'];
        b.extend_from_slice(&7u32.to_le_bytes());
        b.extend_from_slice(&201u32.to_le_bytes());
        put_fields(&mut b, fields);
        put_fields::<&str, &[u8]>(&mut b, &[]);
        b.extend_from_slice(body);
        b
    }

    #[test]
    fn reads_a_pull_record_and_the_trailers_it_is_answered_with() {
        // recordPull: kind, id, the most bytes Go takes at once.
        let mut rec = vec![b'B'];
        rec.extend_from_slice(&9u32.to_le_bytes());
        rec.extend_from_slice(&(64u32 << 10).to_le_bytes());
        let mut r = Reader(&rec);
        assert_eq!((r.byte(), r.u32(), r.u32()), (Some(b'B'), Some(9), Some(64 << 10)));
        assert!(r.0.is_empty());
        // The end of a body is answered with its trailers in the layout Go's parseFields reads.
        let trailers = vec![("x-checksum".to_string(), b"abc".to_vec()), ("x-checksum".to_string(), b"def".to_vec())];
        let mut held = Vec::new();
        put_fields(&mut held, &trailers);
        assert_eq!(Reader(&held).fields(), Some(trailers));
    }

    #[test]
    fn reads_a_whole_response_record() {
        let rec = whole(&[("Content-Type", b"text/plain"), ("X-Multi", b"one"), ("X-Multi", b"\xfftwo")], b"hello");
        let mut r = Reader(&rec);
        assert_eq!((r.byte(), r.u32(), r.u32()), (Some(b'R'), Some(7), Some(201)));
        let fields = r.fields().unwrap();
        assert_eq!(fields.len(), 3);
        assert_eq!(fields[2], ("X-Multi".to_string(), b"\xfftwo".to_vec()), "values stay bytes, repeated names apart");
        assert_eq!(r.fields(), Some(vec![]));
        assert_eq!(r.0, b"hello", "the rest is the body");
    }

    #[test]
    fn truncated_records_are_refused() {
        let rec = whole(&[("Content-Type", b"text/plain")], b"");
        for cut in [1, 6, 12, 20, rec.len() - 5] {
            let mut r = Reader(&rec[..cut]);
            let parsed = (|| Some((r.byte()?, r.u32()?, r.u32()?, r.fields()?, r.fields()?)))();
            assert!(parsed.is_none(), "a record cut at {cut} bytes must not parse");
        }
        // A length past the end.
        let mut r = Reader(&[0xff, 0xff, 0xff, 0x7f, b'x']);
        assert!(r.bytes().is_none());
    }
}
