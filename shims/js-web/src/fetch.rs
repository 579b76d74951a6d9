//! `fetch(url, init)` over `wasi:http/outgoing-handler`, for guests' HTTP clients (Go's
//! `net/http` js transport, web-sys's fetch): method, headers, a byte body, redirects followed
//! as fetch's default `follow` does, and the response body streamed from the host. Installed
//! only by shims that may import `wasi:http/outgoing-handler` (a command shim does not:
//! `wasmtime run` has no wasi:http).
//!
//! The request goes out at once and its body (whole in memory) as fast as the upstream takes
//! it; the event loop waits for the upstream to take the body and for the answer beside the
//! guest's timers (a waiter of the event loop), so a client deadline ends the wait through
//! `AbortController`, as in a browser or node. An answer may come before the upstream has taken
//! the whole body (an echo that streams, a proxy, a 413): it settles the fetch, and the rest of
//! the body goes on going out (the `Leftover` waiter) until it is sent, the upstream closes the
//! connection, or the fetch's signal aborts.
//!
//! A host that refuses the destination (wasm-server's allowed-hosts list) makes the promise
//! reject with a TypeError naming the reason, which the guest reports as its error.

use crate::body::new_response;
use crate::headers::{self, HeaderList};
use crate::http::WasiBody;
use crate::{promise, sink, stream};
use js_realm::realm::type_error;
use js_realm::value::to_js_string;
use js_realm::{arg, Host, JsResult, Kind, Obj, Realm, Value, Waiter};
use std::any::Any;
use std::rc::Rc;
use wasip2::http::outgoing_handler;
use wasip2::http::types::{ErrorCode, Fields, FutureIncomingResponse, Method, OutgoingBody, OutgoingRequest, Scheme};
use wasip2::io::poll::Pollable;
use wasip2::io::streams::{OutputStream, StreamError};

pub fn install(realm: &Realm) {
    realm.method(&realm.global, "fetch", fetch);
    let proto = realm.object();
    realm.method(&proto, "abort", abort);
    realm.constructor(
        "AbortController",
        &proto,
        |host, _, _| Err(type_error(host, "Failed to construct 'AbortController': Please use the 'new' operator")),
        new_abort_controller,
    );
}

const MAX_REDIRECTS: usize = 20;

/// What a fetch asks for, as it stands after the redirects followed so far.
struct Request {
    url: String,
    method: String,
    hdrs: HeaderList,
    /// The body: a Uint8Array's bytes, shared (fetch takes a snapshot; a later change to the
    /// array copies them first, value::ByteBuf).
    body: Option<Rc<Vec<u8>>>,
    follow: bool,
    redirects: usize,
}

/// A fetch whose response head the event loop waits for: the guest's timers keep firing
/// meanwhile, so a client deadline ends it (AbortController) as under node.
pub struct InFlight {
    request: Request,
    promise: Obj,
    /// The `signal` of the fetch's init (an AbortController's), or undefined.
    signal: Value,
    /// The request body (`request.body`'s bytes) while the upstream has not taken all of it.
    upload: Option<Upload>,
    future: FutureIncomingResponse,
}

/// A request body going out.
struct Upload {
    // The stream is a child of the body: it goes first.
    stream: OutputStream,
    body: OutgoingBody,
    /// How many of the body's bytes the upstream has taken.
    sent: usize,
}

impl Upload {
    /// Sends what the upstream takes now of `bytes` (the whole body); true once all of it is
    /// sent.
    fn pump(&mut self, bytes: &[u8]) -> Result<bool, StreamError> {
        self.sent += sink::write_some(&self.stream, &bytes[self.sent.min(bytes.len())..])?;
        Ok(self.sent >= bytes.len() && sink::flushed(&self.stream)?)
    }

    /// The body has been sent: it ends (with no trailers).
    fn finish(self) -> Result<(), ErrorCode> {
        let Upload { stream, body, .. } = self;
        drop(stream);
        OutgoingBody::finish(body, None)
    }
}

impl Waiter for InFlight {
    /// What the fetch waits for: its answer, and room for its body's next bytes.
    fn pollables(&self, _host: &mut dyn Host) -> Option<Vec<Pollable>> {
        let mut set = vec![self.future.subscribe()];
        set.extend(self.upload.as_ref().map(|u| u.stream.subscribe()));
        Some(set)
    }

    fn run(self: Box<Self>, host: &mut dyn Host) {
        progress(host, *self)
    }
}

/// The rest of a request body, going out after its fetch was answered.
pub struct Leftover {
    upload: Upload,
    bytes: Rc<Vec<u8>>,
    /// The fetch's signal: aborting it drops the rest.
    signal: Value,
}

impl Waiter for Leftover {
    fn pollables(&self, _host: &mut dyn Host) -> Option<Vec<Pollable>> {
        Some(vec![self.upload.stream.subscribe()])
    }

    /// Sends what the upstream takes now; the body ends once all is sent. An upstream that
    /// closed the connection ends it here (the request's answer is the guest's already).
    fn run(mut self: Box<Self>, host: &mut dyn Host) {
        match self.upload.pump(&self.bytes) {
            Ok(false) => host.js().events.wait_for(self),
            Ok(true) => {
                let _ = self.upload.finish();
            }
            Err(_) => {}
        }
    }
}

fn fetch(host: &mut dyn Host, _this: &Value, args: &[Value]) -> JsResult {
    let init = arg(args, 1);
    let get = |name: &str| init.as_object().map(|o| o.get(name)).unwrap_or_default();
    let url = to_js_string(&arg(args, 0));
    let method = match get("method") {
        Value::Undefined => "GET".to_string(),
        m => to_js_string(&m).to_ascii_uppercase(),
    };
    let hdrs = headers::from_init(host, &get("headers"))?;
    let body = match get("body") {
        Value::Undefined | Value::Null => None,
        Value::Object(o) if o.byte_buf().is_some() => o.byte_buf().map(|mut b| b.share()),
        Value::String(s) => Some(Rc::new(s.as_bytes().to_vec())),
        _ => {
            let e = type_error(host, "fetch: only Uint8Array and string bodies are supported");
            return Ok(promise::rejected(host, e).into());
        }
    };
    let follow = !matches!(to_js_string(&get("redirect")).as_str(), "manual" | "error");
    let signal = get("signal");
    if let Some(reason) = abort_reason(&signal) {
        return Ok(promise::rejected(host, reason).into());
    }
    let promise = promise::new_pending(&host.js().realm);
    start(host, Request { url, method, hdrs, body, follow, redirects: 0 }, promise.clone(), signal);
    Ok(promise.into())
}

/// Sends `request`; the event loop sends its body on and waits for its answer.
fn start(host: &mut dyn Host, request: Request, promise: Obj, signal: Value) {
    match send(&request.url, &request.method, &request.hdrs, request.body.as_ref().map(|b| b.len())) {
        Ok((future, body)) => {
            let upload = body.map(|(stream, body)| Upload { stream, body, sent: 0 });
            progress(host, InFlight { request, promise, signal, upload, future });
        }
        Err(why) => fail(host, &promise, &why),
    }
}

/// Sends what the upstream takes now of the fetch's body, then settles the fetch if its answer
/// has come, else leaves it to the event loop.
fn progress(host: &mut dyn Host, mut f: InFlight) {
    if let Some(mut up) = f.upload.take() {
        match up.pump(f.request.body.as_ref().map_or(&[][..], |b| b.as_slice())) {
            Ok(false) => f.upload = Some(up),
            Ok(true) => {
                if let Err(e) = up.finish() {
                    return fail(host, &f.promise, &describe(e));
                }
            }
            // The upstream closed the connection: the answer says why, if there is one.
            Err(_) => {}
        }
    }
    if f.future.subscribe().ready() {
        answered(host, f);
    } else {
        host.js().events.wait_for(Box::new(f));
    }
}

fn fail(host: &mut dyn Host, promise: &Obj, why: &str) {
    let e = type_error(host, &format!("fetch failed: {why}"));
    promise::reject_promise(host, promise, e);
}

/// The response head of `f` has come (or the request failed): a redirect to follow is sent
/// on, anything else settles the fetch's promise.
fn answered(host: &mut dyn Host, f: InFlight) {
    let InFlight { mut request, promise, signal, upload, future } = f;
    let (status, resp_headers, resp_body) = match response(future) {
        Ok(r) => r,
        Err(why) => return fail(host, &promise, &why),
    };
    let location = resp_headers.iter().find(|(n, _)| n == "location").map(|(_, v)| v.clone());
    if request.follow && matches!(status, 301 | 302 | 303 | 307 | 308) {
        if let Some(loc) = location {
            if request.redirects == MAX_REDIRECTS {
                return fail(host, &promise, "too many redirects");
            }
            request.redirects += 1;
            request.url = resolve(&request.url, &loc);
            if status == 303 || (matches!(status, 301 | 302) && request.method == "POST") {
                request.method = "GET".into();
                request.body = None;
            }
            // What the old location did not take of the body is not sent there.
            drop(upload);
            return start(host, request, promise, signal);
        }
    }
    if let Some(upload) = upload {
        // Answered before the upstream took the whole body: the rest goes on going out.
        let bytes = request.body.take().unwrap_or_default();
        host.js().events.wait_for(Box::new(Leftover { upload, bytes, signal: signal.clone() }));
    }
    let body_value = match resp_body {
        Some(b) => stream::from_host(&host.js().realm, Box::new(b)).into(),
        None => Value::Null,
    };
    let r = new_response(&host.js().realm, status, "", resp_headers, body_value);
    r.set("url", Value::str(&request.url));
    promise::resolve_promise(host, &promise, r.into());
}

/// `new AbortController()`: its `signal` goes in a fetch's init; `abort()` ends the fetches
/// in flight with that signal (Go's client aborts when the request's context ends; since Go
/// 1.25 it then waits for the fetch's promise to reject, so the rejection must come).
fn new_abort_controller(host: &mut dyn Host, _args: &[Value]) -> JsResult {
    let realm = &host.js().realm;
    let proto = realm.global.get("AbortController").get("prototype");
    let controller = Obj::new(proto.as_object(), Kind::Ordinary);
    let signal = realm.object_with("AbortSignal", [("aborted", Value::Bool(false)), ("reason", Value::Undefined)]);
    controller.set("signal", signal.into());
    Ok(controller.into())
}

fn abort(host: &mut dyn Host, this: &Value, args: &[Value]) -> JsResult {
    let Some(Value::Object(signal)) = this.as_object().map(|c| c.get("signal")) else {
        return Err(type_error(host, "Illegal invocation"));
    };
    if abort_reason(&signal.clone().into()).is_some() {
        return Ok(Value::Undefined);
    }
    let reason = match arg(args, 0) {
        Value::Undefined => {
            let realm = &host.js().realm;
            let e = realm.error(&realm.error_proto, "This operation was aborted");
            e.set("name", Value::str("AbortError"));
            e.into()
        }
        given => given,
    };
    signal.set("aborted", Value::Bool(true));
    signal.set("reason", reason.clone());
    // Dropping a fetch's future drops its request: the host closes the connection.
    let aborted = host.js().events.take_waiters(|w| {
        let w: &dyn Any = w;
        let of = match (w.downcast_ref::<InFlight>(), w.downcast_ref::<Leftover>()) {
            (Some(f), _) => &f.signal,
            (_, Some(l)) => &l.signal,
            _ => return false,
        };
        of.as_object().is_some_and(|s| s.same(&signal))
    });
    for w in aborted {
        let w: Box<dyn Any> = w;
        if let Ok(f) = w.downcast::<InFlight>() {
            promise::reject_promise(host, &f.promise, reason.clone());
        }
    }
    Ok(Value::Undefined)
}

/// The reason `signal` was aborted with, if it was.
fn abort_reason(signal: &Value) -> Option<Value> {
    let s = signal.as_object()?;
    matches!(s.get("aborted"), Value::Bool(true)).then(|| s.get("reason"))
}

/// Splits `scheme://authority/path?query`.
fn split_url(url: &str) -> Result<(Scheme, String, String), String> {
    let (scheme, rest) = url.split_once("://").ok_or_else(|| format!("invalid URL {url:?}"))?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        other => return Err(format!("unsupported URL scheme {other:?}")),
    };
    let cut = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest[..cut].to_string();
    let mut path = rest[cut..].split('#').next().unwrap_or("").to_string();
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    if authority.is_empty() {
        return Err(format!("invalid URL {url:?}: no host"));
    }
    Ok((scheme, authority, path))
}

/// A Location against the URL it came from: absolute, scheme-relative or path-absolute.
fn resolve(base: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("http", base));
    if let Some(l) = location.strip_prefix("//") {
        return format!("{scheme}://{l}");
    }
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    if location.starts_with('/') {
        format!("{scheme}://{authority}{location}")
    } else {
        let path = &rest[authority.len()..];
        let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
        format!("{scheme}://{authority}{}{location}", if dir.is_empty() { "/" } else { dir })
    }
}

type Sent = (u16, HeaderList, Option<WasiBody>);

/// Sends a request with a body of `body_len` bytes to come; the future answers it. The body's
/// stream is for the caller to write.
fn send(
    url: &str,
    method: &str,
    hdrs: &HeaderList,
    body_len: Option<usize>,
) -> Result<(FutureIncomingResponse, Option<(OutputStream, OutgoingBody)>), String> {
    let (scheme, authority, path) = split_url(url)?;
    let fields = Fields::new();
    for (n, v) in hdrs {
        // Framing headers are the host's; anything else it refuses is reported.
        if n == "host" || n == "content-length" || n == "transfer-encoding" || n == "connection" {
            continue;
        }
        fields.append(n, v.as_bytes()).map_err(|e| format!("header {n:?}: {e:?}"))?;
    }
    if let Some(n) = body_len {
        let _ = fields.append("content-length", n.to_string().as_bytes());
    }
    let req = OutgoingRequest::new(fields);
    let m = match method {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "OPTIONS" => Method::Options,
        "PATCH" => Method::Patch,
        "TRACE" => Method::Trace,
        "CONNECT" => Method::Connect,
        other => Method::Other(other.to_string()),
    };
    req.set_method(&m).map_err(|()| format!("invalid method {method:?}"))?;
    req.set_scheme(Some(&scheme)).map_err(|()| "invalid scheme".to_string())?;
    req.set_authority(Some(&authority)).map_err(|()| format!("invalid host {authority:?}"))?;
    req.set_path_with_query(Some(&path)).map_err(|()| format!("invalid path {path:?}"))?;
    let out_body = req.body().map_err(|()| "request body unavailable".to_string())?;
    let future = outgoing_handler::handle(req, None).map_err(describe)?;
    if body_len.is_none() {
        OutgoingBody::finish(out_body, None).map_err(describe)?;
        return Ok((future, None));
    }
    let s = out_body.write().map_err(|()| "request body stream unavailable".to_string())?;
    Ok((future, Some((s, out_body))))
}

/// The answer `future` has (it is ready: the event loop saw it).
fn response(future: FutureIncomingResponse) -> Result<Sent, String> {
    let resp = match future.get() {
        Some(Ok(Ok(r))) => r,
        Some(Ok(Err(e))) => return Err(describe(e)),
        Some(Err(())) | None => return Err("no response".into()),
    };
    let status = resp.status();
    let list: HeaderList = resp
        .headers()
        .entries()
        .into_iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), String::from_utf8_lossy(&v).into_owned()))
        .collect();
    let body = match resp.consume() {
        Ok(b) => b.stream().ok().map(|s| WasiBody::new(s, b, None)),
        Err(()) => None,
    };
    Ok((status, list, body))
}

fn describe(e: ErrorCode) -> String {
    match e {
        ErrorCode::HttpRequestDenied => "the host denied this request (not in the app's allowed outbound hosts)".into(),
        ErrorCode::DnsError(d) => format!("DNS error: {}", d.rcode.unwrap_or_default()),
        ErrorCode::ConnectionRefused => "connection refused".into(),
        ErrorCode::ConnectionTimeout => "connection timed out".into(),
        other => format!("{other:?}"),
    }
}
