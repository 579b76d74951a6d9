//! `ReadableStream` of bytes: built from an underlying source (`{start, pull, cancel}`, Go's
//! way of streaming a response), from bytes, or from a host stream (a `wasi:http` request
//! body); read through `getReader().read()` by the guest, or by Rust (a response body on its
//! way to `wasi:http`). `pull` is called while reads wait and no pull is in flight; a
//! pull that returns a promise counts as in flight until it settles.

use crate::promise::{self, as_promise};
use crate::{iter_result, protos};
use js_realm::realm::type_error;
use js_realm::value::to_js_string;
use js_realm::{arg, Host, HostData, JsResult, Kind, NativeFn, Obj, Realm, Value, Waiter};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use wasip2::io::poll::Pollable;

pub type StreamRef = Rc<RefCell<Stream>>;

/// The three objects that are views of one stream: the `ReadableStream`, its reader and its
/// controller.
pub struct ReadableStream(pub StreamRef);
pub struct Reader(pub StreamRef);
pub struct Controller(pub StreamRef);

impl HostData for ReadableStream {
    fn tag(&self) -> &'static str {
        "ReadableStream"
    }
}
impl HostData for Reader {
    fn tag(&self) -> &'static str {
        "ReadableStreamDefaultReader"
    }
}
impl HostData for Controller {
    fn tag(&self) -> &'static str {
        "ReadableStreamDefaultController"
    }
}

/// A byte source owned by Rust (a `wasi:http` body).
pub trait HostSource {
    /// The next bytes (never empty) or the end, or `NotYet` without waiting (the event loop
    /// waits on `subscribe` instead, beside the guest's timers).
    fn read(&mut self) -> Result<Pulled, String>;
    /// Ready once a read would not wait (the event loop waits on it beside the guest's timers).
    fn subscribe(&self) -> Option<Pollable>;
}

/// What a read got.
pub enum Pulled {
    /// Bytes, never empty.
    Bytes(Vec<u8>),
    End,
    /// Nothing yet.
    NotYet,
}

enum Source {
    /// Everything is already queued (or nothing will come).
    Nothing,
    /// A JavaScript underlying source (the guest's functions, usually).
    Js {
        pull: Value,
        cancel: Value,
        controller: Obj,
    },
    Host(Box<dyn HostSource>),
}

enum State {
    Readable,
    Closed,
    Errored(Value),
}

/// Who waits for a chunk: a `read()` promise, or Rust (`f(host, &data, [result])`, the
/// result being `{value, done}` or, on error, the reason with `threw` true).
enum Read {
    Promise(Obj),
    Native(NativeFn, Value),
}

pub struct Stream {
    queue: VecDeque<Vec<u8>>,
    state: State,
    reads: VecDeque<Read>,
    source: Source,
    pulling: bool,
    locked: bool,
    /// The stream object itself, for continuations (weak in spirit: dropped with the stream).
    this: Option<Obj>,
}

pub fn install(realm: &Realm) {
    let s = &protos(realm).stream;
    realm.constructor(
        "ReadableStream",
        s,
        |sh, _, _| Err(type_error(sh, "Constructor ReadableStream requires 'new'")),
        construct,
    );
    realm.method(s, "getReader", get_reader);
    realm.method(s, "cancel", cancel_method);
    let r = &protos(realm).reader;
    realm.method(r, "read", read_method);
    realm.method(r, "cancel", cancel_method);
    realm.method(r, "releaseLock", |_, this, _| {
        if let Some(s) = stream_of(this) {
            s.borrow_mut().locked = false;
        }
        Ok(Value::Undefined)
    });
    let c = &protos(realm).controller;
    realm.method(c, "enqueue", |sh, this, a| {
        let Some(s) = stream_of(this) else { return Err(type_error(sh, "Illegal invocation")) };
        let chunk = match arg(a, 0) {
            Value::Object(o) => match o.bytes() {
                Some(b) => b.clone(),
                None => return Err(type_error(sh, "ReadableStream chunk must be a Uint8Array")),
            },
            Value::String(t) => t.as_bytes().to_vec(),
            _ => return Err(type_error(sh, "ReadableStream chunk must be a Uint8Array")),
        };
        if !matches!(s.borrow().state, State::Readable) {
            return Err(type_error(sh, "Invalid state: ReadableStream is closed"));
        }
        s.borrow_mut().queue.push_back(chunk);
        deliver(sh, &s);
        Ok(Value::Undefined)
    });
    realm.method(c, "close", |sh, this, _| {
        if let Some(s) = stream_of(this) {
            close(sh, &s);
        }
        Ok(Value::Undefined)
    });
    realm.method(c, "error", |sh, this, a| {
        if let Some(s) = stream_of(this) {
            error(sh, &s, arg(a, 0));
        }
        Ok(Value::Undefined)
    });
    // desiredSize: a positive constant; this queue has no high-water mark.
    c.set("desiredSize", Value::Number(1.0));
}

fn new_stream(realm: &Realm, source: Source, state: State, queue: VecDeque<Vec<u8>>) -> (Obj, StreamRef) {
    let s = Rc::new(RefCell::new(Stream {
        queue,
        state,
        reads: VecDeque::new(),
        source,
        pulling: false,
        locked: false,
        this: None,
    }));
    let obj = Obj::with_host(&protos(realm).stream, ReadableStream(s.clone()));
    s.borrow_mut().this = Some(obj.clone());
    (obj, s)
}

/// A closed stream holding `bytes`.
pub fn from_bytes(realm: &Realm, bytes: Vec<u8>) -> Obj {
    let queue = if bytes.is_empty() { VecDeque::new() } else { VecDeque::from([bytes]) };
    new_stream(realm, Source::Nothing, State::Closed, queue).0
}

/// A stream reading `source` on demand.
pub fn from_host(realm: &Realm, source: Box<dyn HostSource>) -> Obj {
    new_stream(realm, Source::Host(source), State::Readable, VecDeque::new()).0
}

/// `new ReadableStream(underlyingSource)`.
fn construct(host: &mut dyn Host, args: &[Value]) -> JsResult {
    let src = arg(args, 0);
    // The controller's state is set once the stream exists.
    let controller = Obj::new(Some(&protos(&host.js().realm).controller), Kind::Ordinary);
    let source = match &src {
        Value::Object(o) => Source::Js { pull: o.get("pull"), cancel: o.get("cancel"), controller: controller.clone() },
        _ => Source::Nothing,
    };
    let (obj, s) = new_stream(&host.js().realm, source, State::Readable, VecDeque::new());
    controller.borrow_mut().kind = Kind::Host(Box::new(Controller(s)));
    if let Some(start) =
        src.as_object().map(|o| o.get("start")).and_then(|f| f.as_object().filter(|f| f.is_callable()).cloned())
    {
        host.js().events.queue_callback(start, vec![controller.into()]);
    }
    Ok(obj.into())
}

/// The stream behind a stream, reader or controller object.
pub fn stream_of(v: &Value) -> Option<StreamRef> {
    let o = v.as_object()?;
    if let Some(s) = o.host::<ReadableStream>() {
        return Some(s.0.clone());
    }
    if let Some(r) = o.host::<Reader>() {
        return Some(r.0.clone());
    }
    o.host::<Controller>().map(|c| c.0.clone())
}

fn get_reader(host: &mut dyn Host, this: &Value, _args: &[Value]) -> JsResult {
    let Some(s) = stream_of(this) else { return Err(type_error(host, "Illegal invocation")) };
    if s.borrow().locked {
        return Err(type_error(host, "ReadableStreamDefaultReader constructor can only accept readable streams that are not yet locked to a reader"));
    }
    s.borrow_mut().locked = true;
    Ok(Obj::with_host(&protos(&host.js().realm).reader, Reader(s)).into())
}

fn read_method(host: &mut dyn Host, this: &Value, _args: &[Value]) -> JsResult {
    let Some(s) = stream_of(this) else { return Err(type_error(host, "Illegal invocation")) };
    let p = promise::new_pending(&host.js().realm);
    s.borrow_mut().reads.push_back(Read::Promise(p.clone()));
    deliver(host, &s);
    Ok(p.into())
}

/// Rust reads a chunk: `f(host, &data, [{value, done}])`, or `[reason, true]` on error.
pub fn read_native(host: &mut dyn Host, s: &StreamRef, f: NativeFn, data: Value) {
    s.borrow_mut().reads.push_back(Read::Native(f, data));
    deliver(host, s);
}

fn cancel_method(host: &mut dyn Host, this: &Value, args: &[Value]) -> JsResult {
    if let Some(s) = stream_of(this) {
        cancel(host, &s, arg(args, 0));
    }
    Ok(promise::fulfilled(host, Value::Undefined).into())
}

/// Cancels: the queue is dropped, waiting reads end, the source is told (Go's `cancel`).
pub fn cancel(host: &mut dyn Host, s: &StreamRef, reason: Value) {
    let source = {
        let mut st = s.borrow_mut();
        if !matches!(st.state, State::Readable) {
            return;
        }
        st.queue.clear();
        st.state = State::Closed;
        std::mem::replace(&mut st.source, Source::Nothing)
    };
    if let Source::Js { cancel, .. } = source {
        if let Some(f) = cancel.as_object().filter(|f| f.is_callable()) {
            host.js().events.queue_callback(f.clone(), vec![reason]);
        }
    }
    deliver(host, s);
}

fn close(host: &mut dyn Host, s: &StreamRef) {
    {
        let mut st = s.borrow_mut();
        if matches!(st.state, State::Readable) {
            st.state = State::Closed;
            st.pulling = false;
        }
    }
    deliver(host, s);
}

fn error(host: &mut dyn Host, s: &StreamRef, e: Value) {
    {
        let mut st = s.borrow_mut();
        if !matches!(st.state, State::Readable) {
            return;
        }
        st.queue.clear();
        st.state = State::Errored(e);
        st.pulling = false;
    }
    deliver(host, s);
}

/// Hands queued chunks (or the end) to waiting reads, then pulls if reads still wait.
fn deliver(host: &mut dyn Host, s: &StreamRef) {
    loop {
        let (read, outcome) = {
            let mut st = s.borrow_mut();
            if st.reads.is_empty() {
                return;
            }
            let outcome = if let Some(chunk) = st.queue.pop_front() {
                Ok(Some(chunk))
            } else {
                match &st.state {
                    State::Readable => break,
                    State::Closed => Ok(None),
                    State::Errored(e) => Err(e.clone()),
                }
            };
            (st.reads.pop_front().unwrap(), outcome)
        };
        let (value, threw) = match outcome {
            Ok(Some(chunk)) => {
                let realm = &host.js().realm;
                (iter_result(realm, realm.uint8array(chunk).into(), false), false)
            }
            Ok(None) => (iter_result(&host.js().realm, Value::Undefined, true), false),
            Err(e) => (e, true),
        };
        match read {
            Read::Promise(p) if threw => promise::reject_promise(host, &p, value),
            Read::Promise(p) => promise::resolve_promise(host, &p, value),
            // Through the event loop, like a promise reaction: the reader may read again
            // from the continuation without recursing.
            Read::Native(f, data) => {
                let js = host.js();
                let run = js.realm.bound_function("read", f, data);
                js.events.queue_call_then(run, vec![value, Value::Bool(threw)], (ignore, Value::Undefined));
            }
        }
    }
    pull(host, s);
}

fn ignore(_: &mut dyn Host, _: &Value, _: &[Value]) -> JsResult {
    Ok(Value::Undefined)
}

/// Asks the source for more: a host source is read now if its bytes are there, else when the
/// event loop sees them come (the guest's timers fire meanwhile, as under node); a JS `pull` runs
/// from the event loop.
fn pull(host: &mut dyn Host, s: &StreamRef) {
    let job = {
        let mut st = s.borrow_mut();
        if st.pulling || !matches!(st.state, State::Readable) {
            return;
        }
        let this = st.this.clone();
        let job = match &mut st.source {
            Source::Nothing => return,
            Source::Host(h) => Err(h.read()),
            Source::Js { pull, controller, .. } => match pull.as_object().filter(|f| f.is_callable()) {
                Some(f) => Ok((f.clone(), controller.clone(), this)),
                None => return,
            },
        };
        // A JS pull, or a host read that waits for the event loop, is in flight.
        if matches!(job, Ok(_) | Err(Ok(Pulled::NotYet))) {
            st.pulling = true;
        }
        job
    };
    match job {
        Err(Ok(Pulled::Bytes(chunk))) => {
            s.borrow_mut().queue.push_back(chunk);
            deliver(host, s);
        }
        Err(Ok(Pulled::End)) => close(host, s),
        Err(Ok(Pulled::NotYet)) => host.js().events.wait_for(Box::new(HostRead(s.clone()))),
        Err(Err(message)) => {
            let realm = &host.js().realm;
            let e = realm.error(&realm.error_proto, &message);
            error(host, s, e.into());
        }
        Ok((f, controller, this)) => {
            let data: Value = this.map(Value::Object).unwrap_or_default();
            host.js().events.queue_call_then(f, vec![controller.into()], (pulled, data));
        }
    }
}

/// `pull` returned: when it returned a promise, in flight until that settles.
fn pulled(host: &mut dyn Host, stream: &Value, args: &[Value]) -> JsResult {
    let result = arg(args, 0);
    if matches!(arg(args, 1), Value::Bool(true)) {
        if let Some(s) = stream_of(stream) {
            error(host, &s, result);
        }
        return Ok(Value::Undefined);
    }
    match as_promise(&result) {
        Some(p) => promise::on_settled(host, &p, pull_done, pull_failed, stream.clone()),
        None => {
            pull_done(host, stream, &[])?;
        }
    }
    Ok(Value::Undefined)
}

fn pull_done(host: &mut dyn Host, stream: &Value, _args: &[Value]) -> JsResult {
    if let Some(s) = stream_of(stream) {
        s.borrow_mut().pulling = false;
        deliver(host, &s);
    }
    Ok(Value::Undefined)
}

fn pull_failed(host: &mut dyn Host, stream: &Value, args: &[Value]) -> JsResult {
    if let Some(s) = stream_of(stream) {
        error(host, &s, arg(args, 0));
    }
    Ok(Value::Undefined)
}

/// A stream over a host source whose pull found nothing yet: the event loop waits for its
/// bytes beside the guest's timers.
struct HostRead(StreamRef);

impl Waiter for HostRead {
    /// The host read the stream waits for; None once there is nothing to wait for (the stream
    /// was cancelled or ended meanwhile).
    fn pollables(&self, _host: &mut dyn Host) -> Option<Vec<Pollable>> {
        let st = self.0.borrow();
        match (&st.state, &st.source) {
            (State::Readable, Source::Host(h)) => h.subscribe().map(|p| vec![p]),
            _ => None,
        }
    }

    /// The host read waited for can go on: read again.
    fn run(self: Box<Self>, host: &mut dyn Host) {
        self.0.borrow_mut().pulling = false;
        pull(host, &self.0);
    }
}

/// Body init → stream: a ReadableStream as is; a Uint8Array or string as bytes; null/undefined
/// as no body (`Ok(None)`).
pub fn body_from_init(host: &mut dyn Host, init: &Value) -> Result<Option<Obj>, Value> {
    match init {
        Value::Undefined | Value::Null => Ok(None),
        Value::Object(o) if o.is_host::<ReadableStream>() => Ok(Some(o.clone())),
        Value::Object(o) if o.bytes().is_some() => Ok(Some(from_bytes(&host.js().realm, o.bytes().unwrap().clone()))),
        Value::String(s) => Ok(Some(from_bytes(&host.js().realm, s.as_bytes().to_vec()))),
        other => Ok(Some(from_bytes(&host.js().realm, to_js_string(other).into_bytes()))),
    }
}
