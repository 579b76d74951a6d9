//! `Promise`: the constructor (a Go executor runs synchronously, inside `new`), `then`,
//! `catch`, `finally`, `Promise.resolve` / `Promise.reject`, and adoption of a promise
//! resolved with another promise. Reactions are queued on the event loop.

use super::{host_object, HostData};
use crate::realm::{arg, type_error, Realm};
use crate::shim::Shim;
use crate::value::{Callable, JsResult, Kind, Obj, Value};

pub enum PromiseState {
    Pending(Vec<Reaction>),
    Fulfilled(Value),
    Rejected(Value),
}

/// A `then` registration: the handlers (undefined = pass through) and the promise `then`
/// returned, settled with the handler's outcome.
pub struct Reaction {
    on_fulfilled: Value,
    on_rejected: Value,
    derived: Option<Obj>,
}

pub fn install(realm: &Realm) {
    let proto = &realm.web.promise;
    let ctor = realm.constructor("Promise", proto, promise_call, promise_construct);
    realm.method(proto, "then", then);
    realm.method(proto, "catch", catch);
    realm.method(proto, "finally", finally);
    realm.method(&ctor, "resolve", static_resolve);
    realm.method(&ctor, "reject", static_reject);
}

fn promise_call(shim: &mut Shim, _this: &Value, _args: &[Value]) -> JsResult {
    Err(type_error(shim, "Promise constructor cannot be invoked without 'new'"))
}

/// `new Promise(executor)`.
fn promise_construct(shim: &mut Shim, args: &[Value]) -> JsResult {
    let executor = arg(args, 0);
    let Some(f) = executor.as_object().filter(|o| o.is_callable()).cloned() else {
        return Err(type_error(shim, "Promise resolver is not a function"));
    };
    let p = new_pending(&shim.realm);
    let (resolve, reject) = resolving_functions(&shim.realm, &p);
    let call_args = vec![resolve.into(), reject.into()];
    match f.callable() {
        Some(Callable::Go(id)) => shim.deferred_go_call = Some((id, call_args)),
        Some(Callable::Native(native)) => {
            let this = f.bound().unwrap_or_default();
            if let Err(e) = native(shim, &this, &call_args) {
                reject_promise(shim, &p, e);
            }
        }
        None => {}
    }
    Ok(p.into())
}

pub fn new_pending(realm: &Realm) -> Obj {
    host_object(&realm.web.promise, HostData::Promise(PromiseState::Pending(Vec::new())))
}

/// A promise already fulfilled with `v`.
pub fn fulfilled(shim: &mut Shim, v: Value) -> Obj {
    let p = new_pending(&shim.realm);
    resolve_promise(shim, &p, v);
    p
}

/// A promise already rejected with `e`.
pub fn rejected(shim: &mut Shim, e: Value) -> Obj {
    let p = new_pending(&shim.realm);
    reject_promise(shim, &p, e);
    p
}

fn resolving_functions(realm: &Realm, p: &Obj) -> (Obj, Obj) {
    (
        realm.bound_function("resolve", |s, p, a| {
            if let Value::Object(p) = p {
                resolve_promise(s, p, arg(a, 0));
            }
            Ok(Value::Undefined)
        }, p.clone().into()),
        realm.bound_function("reject", |s, p, a| {
            if let Value::Object(p) = p {
                reject_promise(s, p, arg(a, 0));
            }
            Ok(Value::Undefined)
        }, p.clone().into()),
    )
}

fn is_promise(v: &Value) -> Option<&Obj> {
    v.as_object().filter(|o| matches!(o.borrow().kind, Kind::Host(HostData::Promise(_))))
}

fn is_pending(p: &Obj) -> bool {
    matches!(p.borrow().kind, Kind::Host(HostData::Promise(PromiseState::Pending(_))))
}

/// The resolve function: adopts `v`'s state when it is a promise, else fulfils with it.
/// Settling twice is ignored, as in JavaScript.
pub fn resolve_promise(shim: &mut Shim, p: &Obj, v: Value) {
    if !is_pending(p) {
        return;
    }
    if let Some(inner) = is_promise(&v) {
        if inner.same(p) {
            let e = type_error(shim, "Chaining cycle detected for promise");
            return reject_promise(shim, p, e);
        }
        let (resolve, reject) = resolving_functions(&shim.realm, p);
        let inner = inner.clone();
        return add_reaction(shim, &inner, Reaction { on_fulfilled: resolve.into(), on_rejected: reject.into(), derived: None });
    }
    settle(shim, p, PromiseState::Fulfilled(v));
}

pub fn reject_promise(shim: &mut Shim, p: &Obj, e: Value) {
    if is_pending(p) {
        settle(shim, p, PromiseState::Rejected(e));
    }
}

fn settle(shim: &mut Shim, p: &Obj, state: PromiseState) {
    let (value, ok) = match &state {
        PromiseState::Fulfilled(v) => (v.clone(), true),
        PromiseState::Rejected(e) => (e.clone(), false),
        PromiseState::Pending(_) => return,
    };
    let reactions = match &mut p.borrow_mut().kind {
        Kind::Host(HostData::Promise(s)) => match std::mem::replace(s, state) {
            PromiseState::Pending(r) => r,
            _ => Vec::new(),
        },
        _ => return,
    };
    for r in reactions {
        run_reaction(shim, r, value.clone(), ok);
    }
}

fn add_reaction(shim: &mut Shim, p: &Obj, r: Reaction) {
    let settled = match &mut p.borrow_mut().kind {
        Kind::Host(HostData::Promise(PromiseState::Pending(list))) => {
            list.push(r);
            return;
        }
        Kind::Host(HostData::Promise(PromiseState::Fulfilled(v))) => (v.clone(), true),
        Kind::Host(HostData::Promise(PromiseState::Rejected(e))) => (e.clone(), false),
        _ => return,
    };
    run_reaction(shim, r, settled.0, settled.1);
}

/// Queues the handler for `value`; its outcome settles the derived promise. Without a
/// handler the outcome passes through to the derived promise.
fn run_reaction(shim: &mut Shim, r: Reaction, value: Value, ok: bool) {
    let handler = if ok { r.on_fulfilled } else { r.on_rejected };
    match handler.as_object().filter(|h| h.is_callable()) {
        Some(h) => {
            let derived: Value = r.derived.map(Value::Object).unwrap_or_default();
            shim.queue_call_then(h.clone(), vec![value], (settle_derived, derived));
        }
        None => {
            if let Some(d) = r.derived {
                if ok {
                    resolve_promise(shim, &d, value);
                } else {
                    reject_promise(shim, &d, value);
                }
            }
        }
    }
}

/// Continuation of a reaction: `[result, threw]` settles the derived promise.
fn settle_derived(shim: &mut Shim, derived: &Value, args: &[Value]) -> JsResult {
    if let Value::Object(d) = derived {
        if matches!(arg(args, 1), Value::Bool(true)) {
            reject_promise(shim, d, arg(args, 0));
        } else {
            resolve_promise(shim, d, arg(args, 0));
        }
    }
    Ok(Value::Undefined)
}

/// `p.then(onFulfilled, onRejected)`: a new promise for the handler's outcome.
pub fn then(shim: &mut Shim, this: &Value, args: &[Value]) -> JsResult {
    let Some(p) = is_promise(this).cloned() else {
        return Err(type_error(shim, "Method Promise.prototype.then called on incompatible receiver"));
    };
    let derived = new_pending(&shim.realm);
    add_reaction(shim, &p, Reaction { on_fulfilled: arg(args, 0), on_rejected: arg(args, 1), derived: Some(derived.clone()) });
    Ok(derived.into())
}

fn catch(shim: &mut Shim, this: &Value, args: &[Value]) -> JsResult {
    then(shim, this, &[Value::Undefined, arg(args, 0)])
}

/// `p.finally(f)`: `f` runs either way (with no argument); the outcome passes through
/// unchanged. Simplified: `f`'s own result is not awaited.
fn finally(shim: &mut Shim, this: &Value, args: &[Value]) -> JsResult {
    let Some(p) = is_promise(this).cloned() else {
        return Err(type_error(shim, "Method Promise.prototype.finally called on incompatible receiver"));
    };
    if let Some(f) = arg(args, 0).as_object().filter(|f| f.is_callable()) {
        let run = shim.realm.bound_function("finally", |s, f, _| {
            if let Value::Object(f) = f {
                s.queue_callback(f.clone(), Vec::new());
            }
            Ok(Value::Undefined)
        }, f.clone().into());
        add_reaction(shim, &p, Reaction { on_fulfilled: run.clone().into(), on_rejected: run.into(), derived: None });
    }
    Ok(p.into())
}

fn static_resolve(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    let v = arg(args, 0);
    if is_promise(&v).is_some() {
        return Ok(v);
    }
    Ok(fulfilled(shim, v).into())
}

fn static_reject(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    Ok(rejected(shim, arg(args, 0)).into())
}

/// Registers native continuations on `p`: `on_ok(shim, &data, [value])` or
/// `on_err(shim, &data, [reason])`.
pub fn on_settled(shim: &mut Shim, p: &Obj, on_ok: crate::value::NativeFn, on_err: crate::value::NativeFn, data: Value) {
    let ok = shim.realm.bound_function("onFulfilled", on_ok, data.clone());
    let err = shim.realm.bound_function("onRejected", on_err, data);
    add_reaction(shim, p, Reaction { on_fulfilled: ok.into(), on_rejected: err.into(), derived: None });
}

/// Whether `v` is a promise (for callers deciding between a value and a promise of one).
pub fn as_promise(v: &Value) -> Option<Obj> {
    is_promise(v).cloned()
}
