//! Serving a Go HTTP handler (Workers fetch contract) over `wasi:http`: the guest's generated
//! `handle` calls `init` (before Go's `run`), waits for `ready`, then `begin`s each request and
//! resumes Go while `in_progress`. Here a request becomes a JS `Request` (its body a stream
//! over the `wasi:http` body), `binding.handleRequest(request)` is called from the event loop,
//! and the Response it resolves with is sent: status and every header value, then the body
//! streamed chunk by chunk as Go enqueues it.

//!
//! Everything that names a `wasi:http` type exists only in the gojs-shim-http build (feature
//! `http`): even an unused resource's drop glue would make the command shim import wasi:http,
//! which `wasmtime run` does not provide.

// The serving half is used only by the gojs-shim-http build (feature `http`).
#![cfg_attr(not(feature = "http"), allow(dead_code))]

use crate::shim::Shim;
use crate::value::{Obj, Value};
#[cfg(feature = "http")]
use {
    super::body::new_request,
    super::headers,
    super::promise::{self, as_promise},
    super::sink::Unsent,
    super::stream::{self, HostSource, Pulled, StreamRef},
    super::wait::Waiter,
    crate::realm::arg,
    crate::sys,
    crate::value::{to_js_string, to_number, JsResult},
    wasip2::http::types::{ErrorCode, Fields, IncomingBody, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam, Scheme},
    wasip2::io::streams::{InputStream, OutputStream, StreamError},
};

#[derive(Default)]
pub struct HttpState {
    ready: bool,
    binding: Option<Obj>,
    #[cfg(feature = "http")]
    exchange: Option<Exchange>,
    /// Go has exited (a Workers program returns from main after its first response).
    pub go_exited: bool,
    /// A handler stalled (every goroutine blocked, no timer): its goroutines stay blocked, so
    /// the instance is not offered for another request.
    stalled: bool,
    /// The direct path (see `http_begin_direct`): the bytes held for Go (a request head or a
    /// body delivery), and the last id given.
    direct_held: Vec<u8>,
    direct_ids: u32,
    /// The direct path: answers to records that waited in the event loop (a body pull, a body
    /// chunk), for the caller to hand to Go before it resumes Go (`http.direct-next`).
    #[cfg(feature = "http")]
    direct_ready: std::collections::VecDeque<Delivery>,
}

#[cfg(feature = "http")]
/// An answer for Go that came after its record was handed over (see `direct_ready`).
enum Delivery {
    /// Bytes (possibly none) for Go's `wsb_http_body` with this kind.
    Held(u64, Vec<u8>),
    /// The client has gone away: cancel the request in Go.
    Cancel,
}

#[cfg(feature = "http")]
/// The request being served.
struct Exchange {
    /// Until the response head is sent.
    outparam: Option<ResponseOutparam>,
    /// While the body is being written (stream dropped before the body is finished).
    body: Option<(OutputStream, OutgoingBody)>,
    /// Body bytes the client has not taken yet: a chunk of the Workers path's stream (read on
    /// once they are written: `resume_pump`), or of httpserve's direct path (its writer waits
    /// for DELIVER_SENT).
    unsent: Unsent,
    /// The Workers path's Response whose body stream is read on once `unsent` is written.
    resume_pump: Option<Value>,
    done: bool,
    /// Served by the direct path: the id Go's records carry.
    direct: Option<u32>,
    /// The direct path's request body, read as Go pulls it.
    request_body: Option<WasiBody>,
    /// The direct path: the rest of a body chunk waits in the event loop (`Waiter::DirectSend`),
    /// and Go's writer for its answer.
    send_waiting: bool,
    /// The Workers path's request body: the JS stream over it.
    request_stream: Option<StreamRef>,
}

#[cfg(feature = "http")]
impl Exchange {
    /// The client went away mid-body: the body stays unfinished (the host reports a broken
    /// response), nothing more is written, and the request has ended. Returns the Workers
    /// path's Response whose pump waited, if any.
    fn client_gone(&mut self) -> Option<Value> {
        self.body.take();
        self.unsent = Unsent::default();
        self.done = true;
        self.resume_pump.take()
    }
}

#[cfg(feature = "http")]
/// A `wasi:http` incoming body (a request's, or a fetched response's) as a stream source; the
/// stream is dropped before its body. At the end, the body's trailers (if any) are copied into
/// `trailers`, the `Headers` object a request shows as `request.trailers`.
pub(crate) struct WasiBody {
    stream: Option<InputStream>,
    body: Option<IncomingBody>,
    trailers: Option<Obj>,
}

#[cfg(feature = "http")]
impl WasiBody {
    pub(crate) fn new(stream: InputStream, body: IncomingBody, trailers: Option<Obj>) -> WasiBody {
        WasiBody { stream: Some(stream), body: Some(body), trailers }
    }

    /// The body has ended: wait for its trailers (the host has them by now, or knows there are
    /// none) and hand them to `request.trailers`.
    fn finish(&mut self) -> Result<(), String> {
        let list = self.trailers()?;
        if let Some(target) = &self.trailers {
            let list = list.into_iter().map(|(n, v)| (n, String::from_utf8_lossy(&v).into_owned())).collect();
            headers::replace(target, list);
        }
        Ok(())
    }

    /// The body's trailers (names lower-case), once it has ended; none the second time.
    fn trailers(&mut self) -> Result<Vec<(String, Vec<u8>)>, String> {
        self.stream = None;
        let Some(body) = self.body.take() else { return Ok(Vec::new()) };
        let future = IncomingBody::finish(body);
        future.subscribe().block();
        match future.get() {
            Some(Ok(Ok(Some(fields)))) => Ok(fields.entries().into_iter().map(|(n, v)| (n.to_ascii_lowercase(), v)).collect()),
            Some(Ok(Ok(None))) | None | Some(Err(())) => Ok(Vec::new()),
            Some(Ok(Err(e))) => Err(format!("reading the request trailers: {e:?}")),
        }
    }

    /// The next bytes (at most `max`; never empty) or the end of the body, or
    /// `Pulled::NotYet` when the client has sent nothing more yet.
    fn read_now(&mut self, max: u64) -> Result<Pulled, String> {
        let Some(s) = &self.stream else { return Ok(Pulled::End) };
        match s.read(max) {
            Ok(bytes) if !bytes.is_empty() => Ok(Pulled::Bytes(bytes)),
            Ok(_) => Ok(Pulled::NotYet),
            Err(StreamError::Closed) => Ok(Pulled::End),
            Err(StreamError::LastOperationFailed(e)) => Err(format!("reading the request body: {}", e.to_debug_string())),
        }
    }
}

#[cfg(feature = "http")]
impl HostSource for WasiBody {
    fn read(&mut self) -> Result<Pulled, String> {
        match self.read_now(64 * 1024)? {
            Pulled::End => self.finish().map(|()| Pulled::End),
            other => Ok(other),
        }
    }

    fn subscribe(&self) -> Option<wasip2::io::poll::Pollable> {
        self.stream.as_ref().map(|s| s.subscribe())
    }
}

#[cfg(feature = "http")]
impl Drop for WasiBody {
    fn drop(&mut self) {
        // The stream is a child of the body: it goes first.
        self.stream.take();
    }
}

#[cfg(feature = "http")]
const INTERNAL_ERROR: &[u8] = b"Internal Server Error\n";

impl Shim {
    /// http.init: `globalThis.context = { binding: {} }` and serving mode.
    pub fn http_init(&mut self) {
        // Go's net/http uses fetch unless process.argv0 starts with "node" (its test-runner
        // heuristic); a handler host is where it must (as under shims/gojs/node/serve.mjs).
        if let Value::Object(p) = self.realm.global.get("process") {
            p.set("argv0", Value::str("wasm-server-bindgen-serve"));
        }
        #[cfg(feature = "http")]
        super::fetch::install(&self.realm);
        let binding = self.realm.object();
        // httpserve's direct path: this host answers each body chunk once it is written
        // (DELIVER_SENT), so a client that does not read holds only the handler's writer.
        binding.set("directSentAcks", Value::Bool(true));
        let context = self.realm.object();
        context.set("binding", binding.clone().into());
        #[cfg(feature = "kv")]
        super::kv::install(&self.realm, &context);
        self.realm.global.set("context", context.into());
        self.http.binding = Some(binding);
        self.events.serving = true;
    }

    pub fn http_ready(&mut self) {
        self.http.ready = true;
    }

    pub fn http_is_ready(&self) -> bool {
        self.http.ready
    }

    /// Whether another request can be served here: Go still runs, said it serves many
    /// (`binding.multiRequest`, as under shims/gojs/node/serve.mjs) and no handler stalled.
    pub fn http_reusable(&self) -> bool {
        let multi = self.http.binding.as_ref().is_some_and(|b| matches!(b.get("multiRequest"), Value::Bool(true)));
        multi && !self.http.go_exited && !self.http.stalled && !self.http_busy()
    }

    /// http.in-progress: the request is not answered yet, or it left Go work to do now (the
    /// direct path cancelled a handler whose client went away: its goroutines must see that
    /// before the call returns).
    pub fn http_in_progress(&mut self) -> bool {
        let busy = self.http_busy();
        if !busy {
            self.http_release_request_body();
        }
        busy
    }

    /// The request has ended (answered, failed, or given up on): what the handler left unread
    /// of its body is dropped now, not with the instance. A host reads a connection's next
    /// request only once the body is read or dropped, so a reused instance holding it would
    /// hold up the client's next request until the instance is dropped.
    pub fn http_release_request_body(&mut self) {
        #[cfg(feature = "http")]
        if let Some(ex) = self.http.exchange.as_mut() {
            ex.request_body = None;
            // The JS stream lets go of its wasi:http body; a later read sees the end.
            if let Some(s) = ex.request_stream.take() {
                stream::cancel(self, &s, Value::Undefined);
            }
        }
    }

    fn http_busy(&self) -> bool {
        self.exchange_active() || self.events.go_runnable
    }

    /// A request is being served: its response is not sent or its body not finished.
    fn exchange_active(&self) -> bool {
        #[cfg(feature = "http")]
        return self.http.exchange.as_ref().is_some_and(|e| !e.done);
        #[cfg(not(feature = "http"))]
        false
    }

    #[cfg(feature = "http")]
    /// http.begin: see the module comment.
    pub fn http_begin(&mut self, request: IncomingRequest, out: ResponseOutparam) {
        if self.exchange_active() {
            // One request at a time per instance (the generated handle serves them in turn).
            return send_error(out, 503, b"Service Unavailable: instance busy\n");
        }
        if self.http.go_exited {
            // A host that reuses instances without asking `wasm-server:instance/reuse`.
            let why = "this instance already served its one request: the Go program returned from main after its first response (the Workers contract without binding.multiRequest); serve it with a fresh instance per request (the default of wasmtime serve and wasm-server serve)";
            let _ = sys::write_stderr(format!("gojs http: {why}\n").as_bytes());
            return send_error(out, 503, format!("Service Unavailable: {why}\n").as_bytes());
        }
        let handler = self.http.binding.as_ref().map(|b| b.get("handleRequest")).unwrap_or_default();
        let Some(handler) = handler.as_object().filter(|h| h.is_callable()).cloned() else {
            let why = if self.http.ready {
                "binding.handleRequest is not a function"
            } else {
                "the Go program did not call workers.ready (did main reach Serve?)"
            };
            let _ = sys::write_stderr(format!("gojs http: {why}\n").as_bytes());
            return send_error(out, 500, INTERNAL_ERROR);
        };
        let (js_request, request_stream) = self.js_request(&request);
        drop(request);
        self.http.exchange = Some(Exchange { outparam: Some(out), body: None, unsent: Unsent::default(), resume_pump: None, done: false, direct: None, request_body: None, send_waiting: false, request_stream });
        self.queue_call_then(handler, vec![js_request.into()], (handler_returned, Value::Undefined));
    }

    #[cfg(feature = "http")]
    /// The JS Request for `request`, and the stream of its body.
    fn js_request(&mut self, request: &IncomingRequest) -> (Obj, Option<StreamRef>) {
        let (method, url, fields) = request_parts(request, UrlFor::JsRequest);
        let list: headers::HeaderList = fields.into_iter().map(|(n, v)| (n, String::from_utf8_lossy(&v).into_owned())).collect();
        let trailers = headers::new_headers(&self.realm, Vec::new());
        let body = match request_body(request, &method, Some(trailers.clone())) {
            Some(b) => stream::from_host(&self.realm, Box::new(b)).into(),
            None => Value::Null,
        };
        let stream = stream::stream_of(&body);
        (new_request(self, &url, &method, list, body, Value::Undefined, Some(trailers)), stream)
    }

    #[cfg(feature = "http")]
    /// http.begin-direct: a request, for a Go program that serves the direct path
    /// (httpserve/direct.go), is held as bytes for Go instead of becoming a JS Request: its
    /// method, URL and header fields as the client sent them (repeated names apart, values as
    /// bytes), and whether a body follows (`request_body`); the body is read as Go pulls it
    /// (`direct_record`). Anything else goes through `http_begin`.
    pub fn http_begin_direct(&mut self, request: IncomingRequest, out: ResponseOutparam) -> u64 {
        let direct = self.http.ready
            && !self.http.go_exited
            && !self.exchange_active()
            && self.http.binding.as_ref().is_some_and(|b| matches!(b.get("directRequests"), Value::Bool(true)));
        if !direct {
            self.http_begin(request, out);
            return 0;
        }
        let (method, url, fields) = request_parts(&request, UrlFor::GoServer);
        let request_body = request_body(&request, &method, None);
        drop(request);
        let mut head = Vec::with_capacity(256);
        put_bytes(&mut head, method.as_bytes());
        put_bytes(&mut head, url.as_bytes());
        put_fields(&mut head, &fields);
        head.extend_from_slice(&u32::from(request_body.is_some()).to_le_bytes());
        self.http.direct_ids = self.http.direct_ids.wrapping_add(1).max(1);
        let id = self.http.direct_ids;
        self.http.exchange = Some(Exchange { outparam: Some(out), body: None, unsent: Unsent::default(), resume_pump: None, done: false, direct: Some(id), request_body, send_waiting: false, request_stream: None });
        // Answers still queued for an earlier request are moot: its exchange has ended.
        self.http.direct_ready.clear();
        let len = head.len() as u64;
        self.http.direct_held = head;
        // Once Go has the request (wsb_http_request), its handler is runnable.
        self.events.go_runnable = true;
        u64::from(id) << 32 | len
    }

    #[cfg(feature = "http")]
    /// http.direct-held: the bytes held for Go (the caller asked for exactly their length).
    pub fn http_direct_held(&mut self, len: u32) -> Vec<u8> {
        let mut held = std::mem::take(&mut self.http.direct_held);
        held.truncate(len as usize);
        held
    }

    #[cfg(feature = "http")]
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

    #[cfg(feature = "http")]
    /// One record of `http_direct_respond`, past its kind and id.
    fn direct_record(&mut self, kind: u8, id: u32, mut r: Reader) -> u64 {
        let current = self.http.exchange.as_ref().is_some_and(|e| e.direct == Some(id) && !e.done);
        if !current {
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
                let (Some(status), Some(fields), Some(trailers)) = (r.u32(), r.fields(), r.fields()) else { return malformed(self) };
                self.http_send_head(status, &fields);
                if r.0.is_empty() || self.http_write(r.0) {
                    self.http_finish_body(trailer_fields(&trailers));
                } else if let Some(ex) = self.http.exchange.as_mut() {
                    // The client went away (the handler is done).
                    ex.client_gone();
                }
                DIRECT_NEXT
            }
            b'H' => {
                let (Some(status), Some(fields)) = (r.u32(), r.fields()) else { return malformed(self) };
                self.http_send_head(status, &fields);
                DIRECT_NEXT
            }
            b'C' if self.http_sent_acks() => self.direct_drain(id, r.0),
            // After a DELIVER_SEND_WAIT, which this shim does not send (it answers when the
            // client has taken the chunk), a writer asks again: answered as a chunk.
            b'D' => self.direct_drain(id, &[]),
            b'C' => {
                if self.http_write(r.0) {
                    // The handler's writer waits for this chunk to be taken.
                    self.events.go_runnable = true;
                    return DIRECT_NEXT;
                }
                self.direct_client_gone()
            }
            b'E' => {
                let Some(trailers) = r.fields() else { return malformed(self) };
                self.http_finish_body(trailer_fields(&trailers));
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

    #[cfg(feature = "http")]
    /// A pull of the request body (at most `max` bytes): the next bytes, or the end with the
    /// trailers, or why reading failed, held for Go. When the client has sent nothing more yet,
    /// the pull waits in the event loop (`Waiter::DirectPull`) beside Go's timers and its other
    /// records, as a read of a socket does under node: a handler's deadline fires during a
    /// stalled upload, and a response body chunk or another goroutine's work goes on. Its
    /// answer goes to Go once the bytes come (`http_direct_next`).
    fn direct_pull(&mut self, id: u32, max: u32) -> u64 {
        match self.pull_now(max) {
            Some((kind, held)) => self.hold_for_go(kind, held),
            None => {
                self.events.host_waits.push(Waiter::DirectPull { id, max });
                DIRECT_NEXT
            }
        }
    }

    #[cfg(feature = "http")]
    /// What a pull of at most `max` bytes gets now, as a delivery's kind and bytes; None while
    /// the client has sent nothing more.
    fn pull_now(&mut self, max: u32) -> Option<(u64, Vec<u8>)> {
        let ex = self.http.exchange.as_mut()?;
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

    #[cfg(feature = "http")]
    /// The request `id` is the one being served: a waiter of an earlier one has nothing to do.
    fn direct_current(&self, id: u32) -> bool {
        self.http.exchange.as_ref().is_some_and(|e| e.direct == Some(id) && !e.done)
    }

    #[cfg(feature = "http")]
    /// What a waiting pull of request `id` waits on: the client's next bytes; None (the waiter
    /// runs at once) when the request has ended or its body has no stream left to wait on.
    pub(crate) fn direct_pull_pollable(&self, id: u32) -> Option<wasip2::io::poll::Pollable> {
        if !self.direct_current(id) {
            return None;
        }
        self.http.exchange.as_ref()?.request_body.as_ref()?.subscribe()
    }

    #[cfg(feature = "http")]
    /// A waiting pull of request `id` may have its answer (web::wait).
    pub(crate) fn direct_pull_ready(&mut self, id: u32, max: u32) {
        if !self.direct_current(id) {
            // The request has ended; its reader sees its context end.
            return;
        }
        match self.pull_now(max) {
            Some((kind, held)) => self.deliver_later(Delivery::Held(kind, held)),
            None => self.events.host_waits.push(Waiter::DirectPull { id, max }),
        }
    }

    #[cfg(feature = "http")]
    /// Go's direct path takes DELIVER_SENT for its body chunks (it said `binding.directSent`,
    /// having seen this host's `directSentAcks`).
    fn http_sent_acks(&self) -> bool {
        self.http.binding.as_ref().is_some_and(|b| matches!(b.get("directSent"), Value::Bool(true)))
    }

    #[cfg(feature = "http")]
    /// Writes the body chunk Go handed over (a C record; none for a D record): once the client
    /// has taken all of it, Go's writer hears DELIVER_SENT and writes the next. What the client
    /// does not take now waits in the event loop (`Waiter::DirectSend`) beside Go's timers and
    /// its other records (the handler's reads of the request body among them), and the answer
    /// goes to Go once the client has taken it (`http_direct_next`). A client gone cancels the
    /// request.
    fn direct_drain(&mut self, id: u32, chunk: &[u8]) -> u64 {
        let Some(ex) = self.http.exchange.as_mut() else { return DIRECT_CANCEL };
        let Some((stream, _)) = ex.body.as_ref() else {
            // No body to write to (the client went away, or the body has ended): nothing to
            // wait for.
            return self.hold_for_go(DELIVER_SENT, Vec::new());
        };
        match ex.unsent.send(stream, chunk) {
            Ok(true) => self.hold_for_go(DELIVER_SENT, Vec::new()),
            Ok(false) => {
                if !std::mem::replace(&mut ex.send_waiting, true) {
                    self.events.host_waits.push(Waiter::DirectSend { id });
                }
                DIRECT_NEXT
            }
            Err(_) => self.direct_client_gone(),
        }
    }

    #[cfg(feature = "http")]
    /// What a waiting body chunk of request `id` waits on: room in the response body's stream;
    /// None (the waiter runs at once) when the request has ended.
    pub(crate) fn direct_send_pollable(&self, id: u32) -> Option<wasip2::io::poll::Pollable> {
        if !self.direct_current(id) {
            return None;
        }
        self.http_body_pollable()
    }

    #[cfg(feature = "http")]
    /// The response body's stream of request `id` may take more (web::wait): what is left of
    /// the chunk goes out; once the client has taken all of it, Go's writer hears DELIVER_SENT.
    pub(crate) fn direct_send_ready(&mut self, id: u32) {
        if !self.direct_current(id) {
            // The request has ended: a handler that failed had its writer cancelled then.
            return;
        }
        let Some(ex) = self.http.exchange.as_mut() else { return };
        ex.send_waiting = false;
        let sent = match ex.body.as_ref() {
            Some((stream, _)) => ex.unsent.write_now(stream),
            None => Ok(true),
        };
        match sent {
            Ok(true) => self.deliver_later(Delivery::Held(DELIVER_SENT, Vec::new())),
            Ok(false) => {
                ex.send_waiting = true;
                self.events.host_waits.push(Waiter::DirectSend { id });
            }
            Err(_) => {
                ex.client_gone();
                self.deliver_later(Delivery::Cancel);
            }
        }
    }

    #[cfg(feature = "http")]
    /// Queues an answer for Go (`http_direct_next`); Go runs once it has it. A Go that has
    /// exited gets none (it must not run again; what it wrote still goes out).
    fn deliver_later(&mut self, delivery: Delivery) {
        if self.http.go_exited {
            return;
        }
        self.http.direct_ready.push_back(delivery);
        self.events.go_runnable = true;
    }

    #[cfg(feature = "http")]
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

    #[cfg(feature = "http")]
    /// A body chunk could not be written on the direct path: the client went away. The caller
    /// cancels the handler's context, and Go must run for the handler to see it.
    fn direct_client_gone(&mut self) -> u64 {
        if let Some(ex) = self.http.exchange.as_mut() {
            ex.client_gone();
        }
        self.events.go_runnable = true;
        DIRECT_CANCEL
    }

    #[cfg(feature = "http")]
    /// Ready when the response body's stream takes bytes again; None without one.
    fn http_body_pollable(&self) -> Option<wasip2::io::poll::Pollable> {
        let (stream, _) = self.http.exchange.as_ref()?.body.as_ref()?;
        Some(stream.subscribe())
    }

    #[cfg(feature = "http")]
    /// What the Workers path's body pump waits for (web::wait): room in the response body's
    /// stream; None when no pump waits (the request has ended meanwhile), so the waiter runs at
    /// once and finds nothing to do.
    pub(crate) fn http_pump_pollable(&self) -> Option<wasip2::io::poll::Pollable> {
        self.http.exchange.as_ref()?.resume_pump.as_ref()?;
        self.http_body_pollable()
    }

    #[cfg(feature = "http")]
    /// The Workers path's response body stream may take more (web::wait): what is left of its
    /// chunk goes out, then the stream is read on.
    pub(crate) fn http_body_writable(&mut self) {
        if self.http.exchange.as_ref().is_none_or(|e| e.resume_pump.is_none()) {
            // The request this waiter was for has ended: nothing waits.
            return;
        }
        match self.http_send(&[]) {
            Sent::All => {
                let response = self.http.exchange.as_mut().and_then(|e| e.resume_pump.take());
                if let Some((s, response)) = response.and_then(|r| Some((stream::stream_of(&r.get("body"))?, r))) {
                    stream::read_native(self, &s, pump_chunk, response);
                }
            }
            Sent::Partly => self.events.host_waits.push(Waiter::Response),
            Sent::Failed => self.http_client_gone(None),
        }
    }

    #[cfg(feature = "http")]
    /// Queues `bytes` for the response body and writes what the client takes now.
    fn http_send(&mut self, bytes: &[u8]) -> Sent {
        let Some(ex) = self.http.exchange.as_mut() else { return Sent::Failed };
        let Some((stream, _)) = ex.body.as_ref() else { return Sent::Failed };
        match ex.unsent.send(stream, bytes) {
            Ok(true) => Sent::All,
            Ok(false) => Sent::Partly,
            Err(_) => Sent::Failed,
        }
    }

    #[cfg(feature = "http")]
    /// The Workers path's client went away mid-body: the Response's stream (`response`'s, or
    /// the one whose pump waits) is cancelled (Go's cancel → the request's context), and the
    /// request has ended.
    fn http_client_gone(&mut self, response: Option<Value>) {
        let waiting = self.http.exchange.as_mut().and_then(Exchange::client_gone);
        if let Some(s) = response.or(waiting).and_then(|r| stream::stream_of(&r.get("body"))) {
            let reason = self.realm.error(&self.realm.error_proto, "the client closed the connection");
            stream::cancel(self, &s, reason.into());
        }
    }

    #[cfg(feature = "http")]
    /// Holds `bytes` for Go's `wsb_http_body` with `kind` (the caller copies them over); the
    /// reader is runnable once they are there.
    fn hold_for_go(&mut self, kind: u64, bytes: Vec<u8>) -> u64 {
        self.events.go_runnable = true;
        self.hold(kind, bytes)
    }

    #[cfg(feature = "http")]
    /// Holds `bytes` for Go's `wsb_http_body` with `kind`: the caller's answer.
    fn hold(&mut self, kind: u64, bytes: Vec<u8>) -> u64 {
        let len = bytes.len() as u64;
        self.http.direct_held = bytes;
        kind << 32 | len
    }

    #[cfg(feature = "http")]
    /// Ends the request with an error response if none was sent, or cuts the body short.
    fn http_fail(&mut self, status: u16, why: &str) {
        let _ = sys::write_stderr(format!("gojs http: {why}\n").as_bytes());
        self.http_release_request_body();
        if let Some(mut ex) = self.http.exchange.take() {
            if let Some(out) = ex.outparam.take() {
                send_error(out, status, format!("{}: {why}\n", reason_phrase(status)).as_bytes());
            }
            // A started body is dropped unfinished: the host reports a broken response.
            ex.body.take();
            if ex.send_waiting {
                // The body's writer waits for its chunk's answer (a malformed record came
                // meanwhile): it never comes now; the request is cancelled in Go instead.
                self.deliver_later(Delivery::Cancel);
            }
        }
    }

    /// Called when the event loop has nothing left: a request still in progress can never
    /// complete.
    pub fn http_stalled(&mut self) {
        #[cfg(feature = "http")]
        if self.exchange_active() {
            let why = if self.http.go_exited {
                "the Go program exited before the response was complete"
            } else {
                "the handler can never finish: every goroutine is blocked and no timer is pending"
            };
            self.http.stalled = true;
            self.http_fail(500, why);
        }
    }

    #[cfg(feature = "http")]
    /// Sends the response head, then starts pumping the body.
    fn http_respond(&mut self, response: &Value) {
        let status = match response.get("status") {
            Value::Undefined => 200.0,
            v => to_number(&v),
        };
        let status = if (100.0..=999.0).contains(&status) { status as u32 } else { 500 };
        if !self.http_send_head(status, &js_fields(&response.get("headers"))) {
            return;
        }
        match stream::stream_of(&response.get("body")) {
            Some(s) => stream::read_native(self, &s, pump_chunk, response.clone()),
            None => self.http_finish_body(None),
        }
    }

    #[cfg(feature = "http")]
    /// Sends the response head (a status outside 100..=999 becomes 500) and opens its body;
    /// false when there is no request waiting for one.
    fn http_send_head(&mut self, status: u32, fields: &[(String, Vec<u8>)]) -> bool {
        let Some(ex) = self.http.exchange.as_mut() else { return false };
        let Some(out) = ex.outparam.take() else { return false };
        let status = if (100..=999).contains(&status) { status as u16 } else { 500 };
        let resp = OutgoingResponse::new(to_fields(fields, "response header"));
        if status != 200 {
            // A new response's status is 200 already (one host call less per request).
            let _ = resp.set_status_code(status);
        }
        let body = resp.body().expect("a new response has a body");
        ResponseOutparam::set(out, Ok(resp));
        let stream = body.write().expect("a new body has a stream");
        ex.body = Some((stream, body));
        true
    }

    #[cfg(feature = "http")]
    /// Ends the response body, with `trailers` when the response has them (sent by hosts that
    /// can: over HTTP/1.1, hyper-based ones send those the response declared in `Trailer`, and
    /// only to a client that said `TE: trailers`).
    fn http_finish_body(&mut self, trailers: Option<Fields>) {
        if let Some(ex) = self.http.exchange.as_mut() {
            if let Some((stream, body)) = ex.body.take() {
                drop(stream);
                if let Err(e) = OutgoingBody::finish(body, trailers) {
                    let _ = sys::write_stderr(format!("gojs http: finishing the response body: {e:?}\n").as_bytes());
                }
            }
            ex.done = true;
        }
    }

    #[cfg(feature = "http")]
    /// Writes a chunk of the response body; false when the client has gone away.
    fn http_write(&mut self, bytes: &[u8]) -> bool {
        let Some((stream, _)) = self.http.exchange.as_ref().and_then(|e| e.body.as_ref()) else { return false };
        bytes.chunks(4096).all(|c| stream.blocking_write_and_flush(c).is_ok())
    }
}

#[cfg(feature = "http")]
/// The Promise (or value) handleRequest returned.
fn handler_returned(shim: &mut Shim, _: &Value, args: &[Value]) -> JsResult {
    let result = arg(args, 0);
    if matches!(arg(args, 1), Value::Bool(true)) {
        shim.http_fail(500, &format!("handleRequest threw: {}", to_js_string(&result)));
        return Ok(Value::Undefined);
    }
    match as_promise(&result) {
        Some(p) => promise::on_settled(shim, &p, response_ready, handler_rejected, Value::Undefined),
        None => {
            response_ready(shim, &Value::Undefined, &[result])?;
        }
    }
    Ok(Value::Undefined)
}

#[cfg(feature = "http")]
fn response_ready(shim: &mut Shim, _: &Value, args: &[Value]) -> JsResult {
    let response = arg(args, 0);
    if response.as_object().is_none() {
        shim.http_fail(500, &format!("handleRequest resolved with {}, not a Response", to_js_string(&response)));
    } else {
        shim.http_respond(&response);
    }
    Ok(Value::Undefined)
}

#[cfg(feature = "http")]
fn handler_rejected(shim: &mut Shim, _: &Value, args: &[Value]) -> JsResult {
    shim.http_fail(500, &format!("handleRequest rejected: {}", to_js_string(&arg(args, 0))));
    Ok(Value::Undefined)
}

#[cfg(feature = "http")]
/// One read of the response body: write it and read again, or finish (with the response's
/// `trailers`, a Headers object the handler may have set by the time its body ends; not
/// WHATWG, see wasm-server-bindgen/gojs/httpserve).
fn pump_chunk(shim: &mut Shim, response: &Value, args: &[Value]) -> JsResult {
    let result = arg(args, 0);
    let Some(s): Option<StreamRef> = stream::stream_of(&response.get("body")) else { return Ok(Value::Undefined) };
    if matches!(arg(args, 1), Value::Bool(true)) {
        shim.http_fail(500, &format!("the response body stream failed: {}", to_js_string(&result)));
        return Ok(Value::Undefined);
    }
    if matches!(result.get("done"), Value::Bool(true)) {
        shim.http_finish_body(trailer_fields(&js_fields(&response.get("trailers"))));
        return Ok(Value::Undefined);
    }
    let chunk = result.get("value");
    let sent = match chunk.as_object().and_then(|o| o.bytes().map(|b| shim.http_send(&b))) {
        Some(sent) => sent,
        None => shim.http_send(&[]),
    };
    match sent {
        Sent::All => stream::read_native(shim, &s, pump_chunk, response.clone()),
        // The stream is read on once the client has taken the chunk (backpressure, as
        // node's glue waits for "drain"); Go's timers run meanwhile.
        Sent::Partly => {
            if let Some(ex) = shim.http.exchange.as_mut() {
                ex.resume_pump = Some(response.clone());
            }
            shim.events.host_waits.push(Waiter::Response);
        }
        Sent::Failed => shim.http_client_gone(Some(response.clone())),
    }
    Ok(Value::Undefined)
}

#[cfg(feature = "http")]
/// Who reads a request's URL (see `request_parts`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum UrlFor {
    /// A JS Request's `url`, which the handler sees whole: the scheme and the authority the host
    /// has for the request.
    JsRequest,
    /// httpserve's direct path, which makes a Go server request of it: that has no scheme
    /// (`r.URL` is the request target's path and query, `r.TLS` is nil) and its `Host` is the
    /// Host header's when there is one, so the URL's scheme is always `http` and its authority
    /// the Host header's (the `authority` call only for a request without one, as HTTP/2's
    /// are): two host calls less per request.
    GoServer,
}

#[cfg(feature = "http")]
/// The method, absolute URL and header fields (names lower-case, in the client's order) of a
/// request, as both request paths present them to Go.
fn request_parts(request: &IncomingRequest, url_for: UrlFor) -> (String, String, Vec<(String, Vec<u8>)>) {
    let method = method_name(&request.method());
    let scheme = match url_for {
        UrlFor::GoServer => "http".to_string(),
        UrlFor::JsRequest => match request.scheme() {
            Some(Scheme::Https) => "https".to_string(),
            Some(Scheme::Other(s)) => s,
            _ => "http".to_string(),
        },
    };
    let fields: Vec<(String, Vec<u8>)> = request
        .headers()
        .entries()
        .into_iter()
        .map(|(mut n, v)| {
            n.make_ascii_lowercase();
            (n, v)
        })
        .collect();
    let host_header = || fields.iter().find(|(n, _)| n == "host").map(|(_, v)| String::from_utf8_lossy(v).into_owned()).filter(|h| !h.is_empty());
    let authority = match url_for {
        UrlFor::GoServer => host_header().or_else(|| request.authority().filter(|a| !a.is_empty())),
        UrlFor::JsRequest => request.authority().filter(|a| !a.is_empty()).or_else(host_header),
    }
    .unwrap_or_else(|| "localhost".into());
    let path = request.path_with_query().unwrap_or_else(|| "/".into());
    let mut url = String::with_capacity(scheme.len() + 3 + authority.len() + path.len());
    for part in [&scheme, "://", &authority, &path] {
        url.push_str(part);
    }
    (method, url, fields)
}

#[cfg(feature = "http")]
/// The body of a request, for both request paths: every method but GET and HEAD has one (as
/// a browser's Request has), whose trailers go to `trailers` (see WasiBody).
fn request_body(request: &IncomingRequest, method: &str, trailers: Option<Obj>) -> Option<WasiBody> {
    if method == "GET" || method == "HEAD" {
        return None;
    }
    let body = request.consume().ok()?;
    let stream = body.stream().ok()?;
    Some(WasiBody::new(stream, body, trailers))
}

#[cfg(feature = "http")]
/// `wasi:http` fields of a list; a field the host refuses (hop-by-hop and framing headers, which
/// it sets itself, or a malformed one) is left out and named on stderr.
fn to_fields(list: &[(String, Vec<u8>)], what: &str) -> Fields {
    // The whole list in one host call; only when the host refuses one of them, field by field
    // to leave out and name just those.
    if let Ok(fields) = Fields::from_list(list) {
        return fields;
    }
    let fields = Fields::new();
    for (name, value) in list {
        if let Err(e) = fields.append(name, value) {
            let _ = sys::write_stderr(format!("gojs http: {what} {name:?} not sent: {e:?}\n").as_bytes());
        }
    }
    fields
}

#[cfg(feature = "http")]
/// Trailers to send, if there are any.
fn trailer_fields(list: &[(String, Vec<u8>)]) -> Option<Fields> {
    (!list.is_empty()).then(|| to_fields(list, "response trailer"))
}

#[cfg(feature = "http")]
/// A JS Headers object's fields in wasi:http's form (the strings moved, not copied).
fn js_fields(headers: &Value) -> Vec<(String, Vec<u8>)> {
    headers::list(headers).unwrap_or_default().into_iter().map(|(n, v)| (n, v.into_bytes())).collect()
}

#[cfg(feature = "http")]
fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

#[cfg(feature = "http")]
/// A count and that many (name, value) pairs (read back by `Reader::fields`).
fn put_fields<N: AsRef<[u8]>, V: AsRef<[u8]>>(out: &mut Vec<u8>, fields: &[(N, V)]) {
    out.extend_from_slice(&(fields.len() as u32).to_le_bytes());
    for (name, value) in fields {
        put_bytes(out, name.as_ref());
        put_bytes(out, value.as_ref());
    }
}

#[cfg(feature = "http")]
/// What the caller of `http.direct-respond` does next: nothing, or cancel the record's request
/// in Go; any other result is a delivery (kind << 32 | length, kinds: httpserve/direct.go).
const DIRECT_NEXT: u64 = 0;
#[cfg(feature = "http")]
const DIRECT_CANCEL: u64 = 1;
#[cfg(feature = "http")]
const DELIVER_BYTES: u64 = 1;
#[cfg(feature = "http")]
const DELIVER_END: u64 = 2;
#[cfg(feature = "http")]
const DELIVER_ERROR: u64 = 3;
#[cfg(feature = "http")]
const DELIVER_SENT: u64 = 5;

#[cfg(feature = "http")]
/// How much of the bytes handed to `http_send` the client has taken.
enum Sent {
    All,
    /// The rest waits for the stream's pollable.
    Partly,
    /// The client went away.
    Failed,
}

#[cfg(feature = "http")]
/// Reads a record of Go's direct path (layout: httpserve/direct.go).
struct Reader<'a>(&'a [u8]);

#[cfg(feature = "http")]
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

#[cfg(feature = "http")]
fn send_error(out: ResponseOutparam, status: u16, body: &[u8]) {
    let fields = Fields::new();
    let _ = fields.append("content-type", b"text/plain; charset=utf-8");
    let _ = fields.append("content-length", body.len().to_string().as_bytes());
    let resp = OutgoingResponse::new(fields);
    let _ = resp.set_status_code(status);
    let Ok(b) = resp.body() else { return ResponseOutparam::set(out, Err(ErrorCode::InternalError(None))) };
    ResponseOutparam::set(out, Ok(resp));
    if let Ok(s) = b.write() {
        let _ = s.blocking_write_and_flush(body);
        drop(s);
    }
    let _ = OutgoingBody::finish(b, None);
}

#[cfg(feature = "http")]
fn reason_phrase(status: u16) -> &'static str {
    match status {
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    }
}

#[cfg(feature = "http")]
fn method_name(m: &Method) -> String {
    match m {
        Method::Get => "GET".into(),
        Method::Head => "HEAD".into(),
        Method::Post => "POST".into(),
        Method::Put => "PUT".into(),
        Method::Delete => "DELETE".into(),
        Method::Connect => "CONNECT".into(),
        Method::Options => "OPTIONS".into(),
        Method::Trace => "TRACE".into(),
        Method::Patch => "PATCH".into(),
        Method::Other(s) => s.clone(),
    }
}

#[cfg(all(test, feature = "http"))]
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
