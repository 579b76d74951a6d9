//! Serving a JS fetch handler over `wasi:http`: one request at a time per instance, as the
//! flavour's generated `handle` hands them over.
//!
//! Two ways in, both ending in the same [`Exchange`] (the request being served):
//! - [`serve_js`]: the request becomes a JS `Request` (its body a `ReadableStream` over the
//!   `wasi:http` body), the guest's handler is called with it from the event loop, and the
//!   `Response` it returns (or resolves with) is sent: status and every header value, then the
//!   body streamed chunk by chunk as the guest enqueues it (the Workers fetch contract; Go's
//!   `binding.handleRequest`).
//! - the embedder's own path ([`Server::start`] with the parts from [`request_parts`] and
//!   [`request_body`]): the guest takes the request as bytes and answers through
//!   [`Server::send_head`], [`Server::send`], [`Server::finish_body`] (Go's httpserve direct
//!   path).
//!
//! The state is a [`Server`], kept in the embedding's extensions (so a shim that never serves
//! links none of this, and so imports no `wasi:http`).

use crate::body::new_request;
use crate::headers;
use crate::promise::{self, as_promise};
use crate::sink::Unsent;
use crate::stream::{self, HostSource, Pulled, StreamRef};
use js_realm::value::{to_js_string, to_number};
use js_realm::{arg, sys, Host, JsResult, Obj, Value, Waiter};
use wasip2::http::types::{
    ErrorCode, Fields, IncomingBody, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam, Scheme,
};
use wasip2::io::poll::Pollable;
use wasip2::io::streams::{InputStream, OutputStream, StreamError};

/// The serving state of an instance.
pub struct Server {
    /// The request being served (until the next one replaces it).
    pub exchange: Option<Exchange>,
    /// What messages on stderr start with (Go's: "gojs http").
    log_prefix: &'static str,
    /// A handler stalled (it can never finish): its work stays blocked in the instance, so the
    /// instance must not serve another request.
    pub stalled: bool,
}

impl Server {
    pub fn new(log_prefix: &'static str) -> Server {
        Server { exchange: None, log_prefix, stalled: false }
    }

    /// The server of `host` (the embedder installed one: see [`install`]).
    pub fn of(host: &mut dyn Host) -> &mut Server {
        host.js().ext.get_mut::<Server>().expect("js_web::http::install has not run")
    }

    /// A request is being served: its response is not sent or its body not finished.
    #[inline]
    pub fn active(&self) -> bool {
        self.exchange.as_ref().is_some_and(|e| !e.done)
    }

    /// Request `id` (the embedder's) is the one being served.
    #[inline]
    pub fn serving(&self, id: u32) -> bool {
        self.exchange.as_ref().is_some_and(|e| e.id == Some(id) && !e.done)
    }

    /// Serves `exchange` now (the previous request's state goes).
    #[inline]
    pub fn start(&mut self, exchange: Exchange) {
        self.exchange = Some(exchange);
    }

    /// The request has ended: what the handler left unread of its body is dropped now, not
    /// with the instance (a host reads a connection's next request only once the body is read
    /// or dropped, so a reused instance holding it would hold up the client's next request).
    /// Returns the JS stream over it, for the caller to cancel (see [`release_request_body`]).
    #[inline]
    pub fn release_request_body(&mut self) -> Option<StreamRef> {
        let ex = self.exchange.as_mut()?;
        ex.request_body = None;
        ex.request_stream.take()
    }

    /// Sends the response head (a status outside 100..=999 becomes 500) and opens its body;
    /// false when there is no request waiting for one.
    pub fn send_head(&mut self, status: u32, fields: &[(String, Vec<u8>)]) -> bool {
        let Some(ex) = self.exchange.as_mut() else { return false };
        let Some(out) = ex.outparam.take() else { return false };
        let status = if (100..=999).contains(&status) { status as u16 } else { 500 };
        let resp = OutgoingResponse::new(to_fields(self.log_prefix, fields, "response header"));
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

    /// Ends the response body, with `trailers` when the response has them (sent by hosts that
    /// can: over HTTP/1.1, hyper-based ones send those the response declared in `Trailer`, and
    /// only to a client that said `TE: trailers`).
    pub fn finish_body(&mut self, trailers: Option<Fields>) {
        if let Some(ex) = self.exchange.as_mut() {
            if let Some((stream, body)) = ex.body.take() {
                drop(stream);
                if let Err(e) = OutgoingBody::finish(body, trailers) {
                    let _ = sys::write_stderr(
                        format!("{}: finishing the response body: {e:?}\n", self.log_prefix).as_bytes(),
                    );
                }
            }
            ex.done = true;
        }
    }

    /// Writes a chunk of the response body, waiting for the client; false when it has gone
    /// away.
    pub fn write(&mut self, bytes: &[u8]) -> bool {
        let Some(stream) = self.exchange.as_ref().and_then(Exchange::body_stream) else { return false };
        bytes.chunks(4096).all(|c| stream.blocking_write_and_flush(c).is_ok())
    }

    /// Queues `bytes` for the response body and writes what the client takes now.
    pub fn send(&mut self, bytes: &[u8]) -> Sent {
        let Some(ex) = self.exchange.as_mut() else { return Sent::Failed };
        let Some((stream, _)) = ex.body.as_ref() else { return Sent::Failed };
        match ex.unsent.send(stream, bytes) {
            Ok(true) => Sent::All,
            Ok(false) => Sent::Partly,
            Err(_) => Sent::Failed,
        }
    }

    /// What a response body's bytes waiting for the client wait on: room in the body's
    /// stream; None without one.
    pub fn body_pollable(&self) -> Option<Pollable> {
        Some(self.exchange.as_ref()?.body_stream()?.subscribe())
    }

    /// Writes `gojs http: {message}` (with this server's prefix) to stderr.
    pub fn log(&self, message: &str) {
        let _ = sys::write_stderr(format!("{}: {message}\n", self.log_prefix).as_bytes());
    }
}

/// Makes `host` a server: the [`Server`] state, and `fetch` (a handler's outbound requests).
pub fn install(host: &mut dyn Host, log_prefix: &'static str) {
    let js = host.js();
    crate::fetch::install(&js.realm);
    js.ext.insert(Server::new(log_prefix));
}

/// The request being served.
pub struct Exchange {
    /// Until the response head is sent.
    outparam: Option<ResponseOutparam>,
    /// While the body is being written (stream dropped before the body is finished).
    body: Option<(OutputStream, OutgoingBody)>,
    /// Body bytes the client has not taken yet: a chunk of a JS Response's stream (read on once
    /// they are written: `resume_pump`), or of the embedder's path (its writer waits).
    pub unsent: Unsent,
    /// The JS path's Response whose body stream is read on once `unsent` is written.
    resume_pump: Option<Value>,
    pub done: bool,
    /// The embedder's id for this request (Go's direct path: the id its records carry).
    pub id: Option<u32>,
    /// The request body as the embedder's path reads it (not as a JS stream).
    pub request_body: Option<WasiBody>,
    /// The embedder's path: the rest of a body chunk waits in the event loop, and the guest's
    /// writer for its answer.
    pub send_waiting: bool,
    /// The JS path's request body: the JS stream over it.
    request_stream: Option<StreamRef>,
}

impl Exchange {
    /// The client went away mid-body: the body stays unfinished (the host reports a broken
    /// response), nothing more is written, and the request has ended. Returns the JS path's
    /// Response whose pump waited, if any.
    pub fn client_gone(&mut self) -> Option<Value> {
        self.body.take();
        self.unsent = Unsent::default();
        self.done = true;
        self.resume_pump.take()
    }

    /// The response body's stream, once the head is sent.
    pub fn body_stream(&self) -> Option<&OutputStream> {
        self.body.as_ref().map(|(s, _)| s)
    }

    /// Writes what the client takes now of the unsent bytes: true once all are written and
    /// flushed (or there is no body to write to).
    pub fn write_unsent(&mut self) -> Result<bool, StreamError> {
        match self.body.as_ref() {
            Some((stream, _)) => self.unsent.write_now(stream),
            None => Ok(true),
        }
    }
}

/// A `wasi:http` incoming body (a request's, or a fetched response's) as a stream source; the
/// stream is dropped before its body. At the end, the body's trailers (if any) are copied into
/// `trailers`, the `Headers` object a request shows as `request.trailers`.
pub struct WasiBody {
    stream: Option<InputStream>,
    body: Option<IncomingBody>,
    trailers: Option<Obj>,
}

impl WasiBody {
    pub fn new(stream: InputStream, body: IncomingBody, trailers: Option<Obj>) -> WasiBody {
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
    pub fn trailers(&mut self) -> Result<Vec<(String, Vec<u8>)>, String> {
        self.stream = None;
        let Some(body) = self.body.take() else { return Ok(Vec::new()) };
        let future = IncomingBody::finish(body);
        future.subscribe().block();
        match future.get() {
            Some(Ok(Ok(Some(fields)))) => {
                Ok(fields.entries().into_iter().map(|(n, v)| (n.to_ascii_lowercase(), v)).collect())
            }
            Some(Ok(Ok(None))) | None | Some(Err(())) => Ok(Vec::new()),
            Some(Ok(Err(e))) => Err(format!("reading the request trailers: {e:?}")),
        }
    }

    /// The next bytes (at most `max`; never empty) or the end of the body, or
    /// `Pulled::NotYet` when the client has sent nothing more yet.
    pub fn read_now(&mut self, max: u64) -> Result<Pulled, String> {
        let Some(s) = &self.stream else { return Ok(Pulled::End) };
        match s.read(max) {
            Ok(bytes) if !bytes.is_empty() => Ok(Pulled::Bytes(bytes)),
            Ok(_) => Ok(Pulled::NotYet),
            Err(StreamError::Closed) => Ok(Pulled::End),
            Err(StreamError::LastOperationFailed(e)) => {
                Err(format!("reading the request body: {}", e.to_debug_string()))
            }
        }
    }
}

impl HostSource for WasiBody {
    fn read(&mut self) -> Result<Pulled, String> {
        match self.read_now(64 * 1024)? {
            Pulled::End => self.finish().map(|()| Pulled::End),
            other => Ok(other),
        }
    }

    fn subscribe(&self) -> Option<Pollable> {
        self.stream.as_ref().map(|s| s.subscribe())
    }
}

impl Drop for WasiBody {
    fn drop(&mut self) {
        // The stream is a child of the body: it goes first.
        self.stream.take();
    }
}

const INTERNAL_ERROR: &[u8] = b"Internal Server Error\n";

/// Serves `request` with the guest's JS `handler` (see the module comment); a server already
/// busy with a request answers 503.
pub fn serve_js(host: &mut dyn Host, request: IncomingRequest, out: ResponseOutparam, handler: Obj) {
    if Server::of(host).active() {
        // One request at a time per instance (the generated handle serves them in turn).
        return send_error(out, 503, b"Service Unavailable: instance busy\n");
    }
    let (js_request, request_stream) = js_request(host, &request);
    drop(request);
    Server::of(host).start(Exchange::new(out, None, None, request_stream));
    host.js().events.queue_call_then(handler, vec![js_request.into()], (handler_returned, Value::Undefined));
}

/// Refuses `out` with `status` and an internal-error body, with `why` on stderr (a request the
/// embedder cannot hand to the guest).
pub fn refuse(host: &mut dyn Host, out: ResponseOutparam, status: u16, why: &str, body: &[u8]) {
    Server::of(host).log(why);
    send_error(out, status, body);
}

/// [`refuse`] with 500 and the standard body.
pub fn refuse_internal(host: &mut dyn Host, out: ResponseOutparam, why: &str) {
    refuse(host, out, 500, why, INTERNAL_ERROR)
}

impl Exchange {
    /// A request about to be served; `id` and `request_body` for the embedder's own path.
    #[inline]
    pub fn new(
        out: ResponseOutparam,
        id: Option<u32>,
        request_body: Option<WasiBody>,
        request_stream: Option<StreamRef>,
    ) -> Exchange {
        Exchange {
            outparam: Some(out),
            body: None,
            unsent: Unsent::default(),
            resume_pump: None,
            done: false,
            id,
            request_body,
            send_waiting: false,
            request_stream,
        }
    }
}

/// The JS Request for `request`, and the stream of its body.
fn js_request(host: &mut dyn Host, request: &IncomingRequest) -> (Obj, Option<StreamRef>) {
    let (method, url, fields) = request_parts(request, UrlFor::JsRequest);
    let realm = &host.js().realm;
    let list: headers::HeaderList =
        fields.into_iter().map(|(n, v)| (n, String::from_utf8_lossy(&v).into_owned())).collect();
    let trailers = headers::new_headers(realm, Vec::new());
    let body = match request_body(request, &method, Some(trailers.clone())) {
        Some(b) => stream::from_host(realm, Box::new(b)).into(),
        None => Value::Null,
    };
    let stream = stream::stream_of(&body);
    (new_request(realm, &url, &method, list, body, Value::Undefined, Some(trailers)), stream)
}

/// The request has ended (answered, failed, or given up on): [`Server::release_request_body`],
/// and the JS stream over the body cancelled.
pub fn release_request_body(host: &mut dyn Host) {
    // The JS stream lets go of its wasi:http body; a later read sees the end.
    if let Some(s) = Server::of(host).release_request_body() {
        stream::cancel(host, &s, Value::Undefined);
    }
}

/// The request in progress can never complete (the event loop has nothing left): it ends with
/// a 500 (`why` on stderr) if it is still active, and the server is marked stalled. Returns
/// [`fail`]'s answer.
pub fn stall(host: &mut dyn Host, why: &str) -> bool {
    let server = Server::of(host);
    if !server.active() {
        return false;
    }
    server.stalled = true;
    fail(host, 500, why)
}

/// The JS path's body pump waits for the client to take what is unsent.
struct Pump;

impl Waiter for Pump {
    /// Room in the response body's stream; None when no pump waits (the request has ended
    /// meanwhile), so the waiter runs at once and finds nothing to do.
    fn pollables(&self, host: &mut dyn Host) -> Option<Vec<Pollable>> {
        let server = Server::of(host);
        server.exchange.as_ref()?.resume_pump.as_ref()?;
        server.body_pollable().map(|p| vec![p])
    }

    /// The response body stream may take more: what is left of its chunk goes out, then the
    /// stream is read on.
    fn run(self: Box<Self>, host: &mut dyn Host) {
        if Server::of(host).exchange.as_ref().is_none_or(|e| e.resume_pump.is_none()) {
            // The request this waiter was for has ended: nothing waits.
            return;
        }
        match Server::of(host).send(&[]) {
            Sent::All => {
                let response = Server::of(host).exchange.as_mut().and_then(|e| e.resume_pump.take());
                if let Some((s, response)) = response.and_then(|r| Some((stream::stream_of(&r.get("body"))?, r))) {
                    stream::read_native(host, &s, pump_chunk, response);
                }
            }
            Sent::Partly => host.js().events.wait_for(Box::new(Pump)),
            Sent::Failed => client_gone_js(host, None),
        }
    }
}

/// How much of the bytes handed to [`Server::send`] the client has taken.
pub enum Sent {
    All,
    /// The rest waits for the stream's pollable.
    Partly,
    /// The client went away.
    Failed,
}

/// The JS path's client went away mid-body: the Response's stream (`response`'s, or the one
/// whose pump waited) is cancelled (the guest's cancel → the request's context), and the
/// request has ended.
fn client_gone_js(host: &mut dyn Host, response: Option<Value>) {
    let waiting = Server::of(host).exchange.as_mut().and_then(Exchange::client_gone);
    if let Some(s) = response.or(waiting).and_then(|r| stream::stream_of(&r.get("body"))) {
        let realm = &host.js().realm;
        let reason = realm.error(&realm.error_proto, "the client closed the connection");
        stream::cancel(host, &s, reason.into());
    }
}

/// Ends the request with an error response if none was sent, or cuts the body short; `why`
/// goes to stderr. Returns whether the embedder's writer waited for a chunk's answer (which
/// now never comes: the embedder cancels it).
pub fn fail(host: &mut dyn Host, status: u16, why: &str) -> bool {
    Server::of(host).log(why);
    release_request_body(host);
    let Some(mut ex) = Server::of(host).exchange.take() else { return false };
    if let Some(out) = ex.outparam.take() {
        send_error(out, status, format!("{}: {why}\n", reason_phrase(status)).as_bytes());
    }
    // A started body is dropped unfinished: the host reports a broken response.
    ex.body.take();
    ex.send_waiting
}

/// Sends the response head, then starts pumping the body.
fn respond(host: &mut dyn Host, response: &Value) {
    let status = match response.get("status") {
        Value::Undefined => 200.0,
        v => to_number(&v),
    };
    let status = if (100.0..=999.0).contains(&status) { status as u32 } else { 500 };
    if !Server::of(host).send_head(status, &js_fields(&response.get("headers"))) {
        return;
    }
    match stream::stream_of(&response.get("body")) {
        Some(s) => stream::read_native(host, &s, pump_chunk, response.clone()),
        None => Server::of(host).finish_body(None),
    }
}

/// The Promise (or value) the handler returned.
fn handler_returned(host: &mut dyn Host, _: &Value, args: &[Value]) -> JsResult {
    let result = arg(args, 0);
    if matches!(arg(args, 1), Value::Bool(true)) {
        fail(host, 500, &format!("handleRequest threw: {}", to_js_string(&result)));
        return Ok(Value::Undefined);
    }
    match as_promise(&result) {
        Some(p) => promise::on_settled(host, &p, response_ready, handler_rejected, Value::Undefined),
        None => {
            response_ready(host, &Value::Undefined, &[result])?;
        }
    }
    Ok(Value::Undefined)
}

fn response_ready(host: &mut dyn Host, _: &Value, args: &[Value]) -> JsResult {
    let response = arg(args, 0);
    if response.as_object().is_none() {
        fail(host, 500, &format!("handleRequest resolved with {}, not a Response", to_js_string(&response)));
    } else {
        respond(host, &response);
    }
    Ok(Value::Undefined)
}

fn handler_rejected(host: &mut dyn Host, _: &Value, args: &[Value]) -> JsResult {
    fail(host, 500, &format!("handleRequest rejected: {}", to_js_string(&arg(args, 0))));
    Ok(Value::Undefined)
}

/// One read of the response body: write it and read again, or finish (with the response's
/// `trailers`, a Headers object the handler may have set by the time its body ends; not
/// WHATWG, see wasm-server-bindgen/gojs/httpserve).
fn pump_chunk(host: &mut dyn Host, response: &Value, args: &[Value]) -> JsResult {
    let result = arg(args, 0);
    let Some(s): Option<StreamRef> = stream::stream_of(&response.get("body")) else { return Ok(Value::Undefined) };
    if matches!(arg(args, 1), Value::Bool(true)) {
        fail(host, 500, &format!("the response body stream failed: {}", to_js_string(&result)));
        return Ok(Value::Undefined);
    }
    if matches!(result.get("done"), Value::Bool(true)) {
        let server = Server::of(host);
        let trailers = server.trailers(&js_fields(&response.get("trailers")));
        server.finish_body(trailers);
        return Ok(Value::Undefined);
    }
    let chunk = result.get("value");
    let sent = match chunk.as_object().and_then(|o| o.bytes()) {
        Some(bytes) => Server::of(host).send(&bytes),
        None => Server::of(host).send(&[]),
    };
    match sent {
        Sent::All => stream::read_native(host, &s, pump_chunk, response.clone()),
        // The stream is read on once the client has taken the chunk (backpressure, as
        // node's glue waits for "drain"); the guest's timers run meanwhile.
        Sent::Partly => {
            if let Some(ex) = Server::of(host).exchange.as_mut() {
                ex.resume_pump = Some(response.clone());
            }
            host.js().events.wait_for(Box::new(Pump));
        }
        Sent::Failed => client_gone_js(host, Some(response.clone())),
    }
    Ok(Value::Undefined)
}

/// Who reads a request's URL (see [`request_parts`]).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum UrlFor {
    /// A JS Request's `url`, which the handler sees whole: the scheme and the authority the host
    /// has for the request.
    JsRequest,
    /// A server request made of it by the guest (Go's httpserve direct path): that has no scheme
    /// (`r.URL` is the request target's path and query, `r.TLS` is nil) and its `Host` is the
    /// Host header's when there is one, so the URL's scheme is always `http` and its authority
    /// the Host header's (the `authority` call only for a request without one, as HTTP/2's
    /// are): two host calls less per request.
    GoServer,
}

/// The method, absolute URL and header fields (names lower-case, in the client's order) of a
/// request, as both request paths present them to the guest.
pub fn request_parts(request: &IncomingRequest, url_for: UrlFor) -> (String, String, Vec<(String, Vec<u8>)>) {
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
    let host_header = || {
        fields
            .iter()
            .find(|(n, _)| n == "host")
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
            .filter(|h| !h.is_empty())
    };
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

/// The body of a request, for both request paths: every method but GET and HEAD has one (as
/// a browser's Request has), whose trailers go to `trailers` (see WasiBody).
pub fn request_body(request: &IncomingRequest, method: &str, trailers: Option<Obj>) -> Option<WasiBody> {
    if method == "GET" || method == "HEAD" {
        return None;
    }
    let body = request.consume().ok()?;
    let stream = body.stream().ok()?;
    Some(WasiBody::new(stream, body, trailers))
}

/// `wasi:http` fields of a list; a field the host refuses (hop-by-hop and framing headers, which
/// it sets itself, or a malformed one) is left out and named on stderr.
fn to_fields(log_prefix: &str, list: &[(String, Vec<u8>)], what: &str) -> Fields {
    // The whole list in one host call; only when the host refuses one of them, field by field
    // to leave out and name just those.
    if let Ok(fields) = Fields::from_list(list) {
        return fields;
    }
    let fields = Fields::new();
    for (name, value) in list {
        if let Err(e) = fields.append(name, value) {
            let _ = sys::write_stderr(format!("{log_prefix}: {what} {name:?} not sent: {e:?}\n").as_bytes());
        }
    }
    fields
}

/// Trailers to send, if there are any.
fn trailer_fields(log_prefix: &str, list: &[(String, Vec<u8>)]) -> Option<Fields> {
    (!list.is_empty()).then(|| to_fields(log_prefix, list, "response trailer"))
}

impl Server {
    /// Trailers to send, if there are any (refused ones named on stderr).
    pub fn trailers(&self, list: &[(String, Vec<u8>)]) -> Option<Fields> {
        trailer_fields(self.log_prefix, list)
    }
}

/// A JS Headers object's fields in wasi:http's form (the strings moved, not copied).
fn js_fields(headers: &Value) -> Vec<(String, Vec<u8>)> {
    headers::list(headers).unwrap_or_default().into_iter().map(|(n, v)| (n, v.into_bytes())).collect()
}

/// A complete plain-text response with `status` and `body`.
pub fn send_error(out: ResponseOutparam, status: u16, body: &[u8]) {
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

fn reason_phrase(status: u16) -> &'static str {
    match status {
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    }
}

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
