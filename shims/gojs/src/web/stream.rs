//! `ReadableStream` of bytes: built from an underlying source (`{start, pull, cancel}`, Go's
//! way of streaming a response), from bytes, or from a host stream (a `wasi:http` request
//! body); read through `getReader().read()` by Go, or by the shim itself (a response body on
//! its way to `wasi:http`). `pull` is called while reads wait and no pull is in flight; a
//! pull that returns a promise counts as in flight until it settles.

// The serving half is used only by the gojs-shim-http build (feature `http`).
#![cfg_attr(not(feature = "http"), allow(dead_code))]

use super::promise::{self, as_promise};
use super::{host_object, iter_result, HostData};
use crate::realm::{arg, type_error, Realm};
use crate::shim::Shim;
use crate::value::{to_js_string, JsResult, Kind, NativeFn, Obj, Value};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

pub type StreamRef = Rc<RefCell<Stream>>;

/// A byte source owned by the shim (a `wasi:http` body).
pub trait HostSource {
    /// The next bytes (never empty) or the end, or `NotYet` without waiting (the event loop
    /// waits on `subscribe` instead, beside Go's timers).
    fn read(&mut self) -> Result<Pulled, String>;
    /// Ready once a read would not wait (the event loop waits on it beside Go's timers).
    #[cfg(feature = "http")]
    fn subscribe(&self) -> Option<wasip2::io::poll::Pollable>;
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
    /// A JavaScript underlying source (Go functions, usually).
    Js { pull: Value, cancel: Value, controller: Obj },
    Host(Box<dyn HostSource>),
}

enum State {
    Readable,
    Closed,
    Errored(Value),
}

/// Who waits for a chunk: a `read()` promise, or the shim (`f(shim, &data, [result])`, the
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
    let s = &realm.web.stream;
    realm.constructor("ReadableStream", s, |sh, _, _| Err(type_error(sh, "Constructor ReadableStream requires 'new'")), construct);
    realm.method(s, "getReader", get_reader);
    realm.method(s, "cancel", cancel_method);
    let r = &realm.web.reader;
    realm.method(r, "read", read_method);
    realm.method(r, "cancel", cancel_method);
    realm.method(r, "releaseLock", |_, this, _| {
        if let Some(s) = stream_of(this) {
            s.borrow_mut().locked = false;
        }
        Ok(Value::Undefined)
    });
    let c = &realm.web.controller;
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
    let s = Rc::new(RefCell::new(Stream { queue, state, reads: VecDeque::new(), source, pulling: false, locked: false, this: None }));
    let obj = host_object(&realm.web.stream, HostData::Stream(s.clone()));
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
fn construct(shim: &mut Shim, args: &[Value]) -> JsResult {
    let src = arg(args, 0);
    let controller = host_object(&shim.realm.web.controller, HostData::Iterator(VecDeque::new()));
    let source = match &src {
        Value::Object(o) => Source::Js { pull: o.get("pull"), cancel: o.get("cancel"), controller: controller.clone() },
        _ => Source::Nothing,
    };
    let (obj, s) = new_stream(&shim.realm, source, State::Readable, VecDeque::new());
    controller.borrow_mut().kind = Kind::Host(HostData::Controller(s));
    if let Some(start) = src.as_object().map(|o| o.get("start")).and_then(|f| f.as_object().filter(|f| f.is_callable()).cloned()) {
        shim.queue_callback(start, vec![controller.into()]);
    }
    Ok(obj.into())
}

/// The stream behind a stream, reader or controller object.
pub fn stream_of(v: &Value) -> Option<StreamRef> {
    match &v.as_object()?.borrow().kind {
        Kind::Host(HostData::Stream(s) | HostData::Reader(s) | HostData::Controller(s)) => Some(s.clone()),
        _ => None,
    }
}

fn get_reader(shim: &mut Shim, this: &Value, _args: &[Value]) -> JsResult {
    let Some(s) = stream_of(this) else { return Err(type_error(shim, "Illegal invocation")) };
    if s.borrow().locked {
        return Err(type_error(shim, "ReadableStreamDefaultReader constructor can only accept readable streams that are not yet locked to a reader"));
    }
    s.borrow_mut().locked = true;
    Ok(host_object(&shim.realm.web.reader, HostData::Reader(s)).into())
}

fn read_method(shim: &mut Shim, this: &Value, _args: &[Value]) -> JsResult {
    let Some(s) = stream_of(this) else { return Err(type_error(shim, "Illegal invocation")) };
    let p = promise::new_pending(&shim.realm);
    s.borrow_mut().reads.push_back(Read::Promise(p.clone()));
    deliver(shim, &s);
    Ok(p.into())
}

/// The shim reads a chunk: `f(shim, &data, [{value, done}])`, or `[reason, true]` on error.
pub fn read_native(shim: &mut Shim, s: &StreamRef, f: NativeFn, data: Value) {
    s.borrow_mut().reads.push_back(Read::Native(f, data));
    deliver(shim, s);
}

fn cancel_method(shim: &mut Shim, this: &Value, args: &[Value]) -> JsResult {
    if let Some(s) = stream_of(this) {
        cancel(shim, &s, arg(args, 0));
    }
    Ok(promise::fulfilled(shim, Value::Undefined).into())
}

/// Cancels: the queue is dropped, waiting reads end, the source is told (Go's `cancel`).
pub fn cancel(shim: &mut Shim, s: &StreamRef, reason: Value) {
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
            shim.queue_callback(f.clone(), vec![reason]);
        }
    }
    deliver(shim, s);
}

fn close(shim: &mut Shim, s: &StreamRef) {
    {
        let mut st = s.borrow_mut();
        if matches!(st.state, State::Readable) {
            st.state = State::Closed;
            st.pulling = false;
        }
    }
    deliver(shim, s);
}

fn error(shim: &mut Shim, s: &StreamRef, e: Value) {
    {
        let mut st = s.borrow_mut();
        if !matches!(st.state, State::Readable) {
            return;
        }
        st.queue.clear();
        st.state = State::Errored(e);
        st.pulling = false;
    }
    deliver(shim, s);
}

/// Hands queued chunks (or the end) to waiting reads, then pulls if reads still wait.
fn deliver(shim: &mut Shim, s: &StreamRef) {
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
            Ok(Some(chunk)) => (iter_result(&shim.realm, shim.realm.uint8array(chunk).into(), false), false),
            Ok(None) => (iter_result(&shim.realm, Value::Undefined, true), false),
            Err(e) => (e, true),
        };
        match read {
            Read::Promise(p) if threw => promise::reject_promise(shim, &p, value),
            Read::Promise(p) => promise::resolve_promise(shim, &p, value),
            // Through the event loop, like a promise reaction: the reader may read again
            // from the continuation without recursing.
            Read::Native(f, data) => {
                let run = shim.realm.bound_function("read", f, data);
                shim.queue_call_then(run, vec![value, Value::Bool(threw)], (ignore, Value::Undefined));
            }
        }
    }
    pull(shim, s);
}

fn ignore(_: &mut Shim, _: &Value, _: &[Value]) -> JsResult {
    Ok(Value::Undefined)
}

/// Asks the source for more: a host source is read now if its bytes are there, else when the
/// event loop sees them come (Go's timers fire meanwhile, as under node); a JS `pull` runs
/// from the event loop.
fn pull(shim: &mut Shim, s: &StreamRef) {
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
            deliver(shim, s);
        }
        Err(Ok(Pulled::End)) => close(shim, s),
        #[cfg(feature = "http")]
        Err(Ok(Pulled::NotYet)) => shim.events.host_waits.push(super::wait::Waiter::Stream(s.clone())),
        // (Only the http build has host sources.)
        #[cfg(not(feature = "http"))]
        Err(Ok(Pulled::NotYet)) => close(shim, s),
        Err(Err(message)) => {
            let e = shim.realm.error(&shim.realm.error_proto, &message);
            error(shim, s, e.into());
        }
        Ok((f, controller, this)) => {
            let data: Value = this.map(Value::Object).unwrap_or_default();
            shim.queue_call_then(f, vec![controller.into()], (pulled, data));
        }
    }
}

/// `pull` returned: when it returned a promise, in flight until that settles.
fn pulled(shim: &mut Shim, stream: &Value, args: &[Value]) -> JsResult {
    let result = arg(args, 0);
    if matches!(arg(args, 1), Value::Bool(true)) {
        if let Some(s) = stream_of(stream) {
            error(shim, &s, result);
        }
        return Ok(Value::Undefined);
    }
    match as_promise(&result) {
        Some(p) => promise::on_settled(shim, &p, pull_done, pull_failed, stream.clone()),
        None => {
            pull_done(shim, stream, &[])?;
        }
    }
    Ok(Value::Undefined)
}

fn pull_done(shim: &mut Shim, stream: &Value, _args: &[Value]) -> JsResult {
    if let Some(s) = stream_of(stream) {
        s.borrow_mut().pulling = false;
        deliver(shim, &s);
    }
    Ok(Value::Undefined)
}

fn pull_failed(shim: &mut Shim, stream: &Value, args: &[Value]) -> JsResult {
    if let Some(s) = stream_of(stream) {
        error(shim, &s, arg(args, 0));
    }
    Ok(Value::Undefined)
}

#[cfg(feature = "http")]
/// The host read `s` waits for: the event loop sees it come. None once there is nothing to
/// wait for (the stream was cancelled or ended meanwhile).
pub(crate) fn host_pollable(s: &StreamRef) -> Option<wasip2::io::poll::Pollable> {
    let st = s.borrow();
    match (&st.state, &st.source) {
        (State::Readable, Source::Host(h)) => h.subscribe(),
        _ => None,
    }
}

#[cfg(feature = "http")]
/// The host read `s` waited for can go on: read again.
pub(crate) fn host_ready(shim: &mut Shim, s: &StreamRef) {
    s.borrow_mut().pulling = false;
    pull(shim, s);
}

/// Body init → stream: a ReadableStream as is; a Uint8Array or string as bytes; null/undefined
/// as no body (`Ok(None)`).
pub fn body_from_init(shim: &mut Shim, init: &Value) -> Result<Option<Obj>, Value> {
    match init {
        Value::Undefined | Value::Null => Ok(None),
        v if stream_of(v).is_some() && matches!(v.as_object().unwrap().borrow().kind, Kind::Host(HostData::Stream(_))) => {
            Ok(Some(v.as_object().unwrap().clone()))
        }
        Value::Object(o) if o.bytes().is_some() => Ok(Some(from_bytes(&shim.realm, o.bytes().unwrap().clone()))),
        Value::String(s) => Ok(Some(from_bytes(&shim.realm, s.as_bytes().to_vec()))),
        other => Ok(Some(from_bytes(&shim.realm, to_js_string(other).into_bytes()))),
    }
}
