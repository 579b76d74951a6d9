//! `Promise`: the constructor (a guest's executor runs synchronously, inside `new`), `then`,
//! `catch`, `finally`, `Promise.resolve` / `Promise.reject`, and adoption of a promise
//! resolved with another promise. Reactions are queued on the event loop.

use crate::protos;
use js_realm::realm::type_error;
use js_realm::{arg, Callable, Host, HostData, JsResult, NativeFn, Obj, Realm, Value};

pub enum PromiseState {
    Pending(Vec<Reaction>),
    Fulfilled(Value),
    Rejected(Value),
}

impl HostData for PromiseState {
    fn tag(&self) -> &'static str {
        "Promise"
    }
}

/// A `then` registration: the handlers (undefined = pass through) and the promise `then`
/// returned, settled with the handler's outcome.
pub struct Reaction {
    on_fulfilled: Value,
    on_rejected: Value,
    derived: Option<Obj>,
}

pub fn install(realm: &Realm) {
    let proto = &protos(realm).promise;
    let ctor = realm.constructor("Promise", proto, promise_call, promise_construct);
    realm.method(proto, "then", then);
    realm.method(proto, "catch", catch);
    realm.method(proto, "finally", finally);
    realm.method(&ctor, "resolve", static_resolve);
    realm.method(&ctor, "reject", static_reject);
}

fn promise_call(host: &mut dyn Host, _this: &Value, _args: &[Value]) -> JsResult {
    Err(type_error(host, "Promise constructor cannot be invoked without 'new'"))
}

/// `new Promise(executor)`.
fn promise_construct(host: &mut dyn Host, args: &[Value]) -> JsResult {
    let executor = arg(args, 0);
    let Some(f) = executor.as_object().filter(|o| o.is_callable()).cloned() else {
        return Err(type_error(host, "Promise resolver is not a function"));
    };
    let p = new_pending(&host.js().realm);
    let (resolve, reject) = resolving_functions(&host.js().realm, &p);
    let call_args = vec![resolve.into(), reject.into()];
    match f.callable() {
        // The guest runs it before `new` returns (see js_realm::events).
        Some(Callable::Guest(g)) => host.js().events.deferred_guest_call = Some((g.id, call_args)),
        Some(Callable::Native(native)) => {
            let this = f.bound().unwrap_or_default();
            if let Err(e) = native(host, &this, &call_args) {
                reject_promise(host, &p, e);
            }
        }
        None => {}
    }
    Ok(p.into())
}

pub fn new_pending(realm: &Realm) -> Obj {
    Obj::with_host(&protos(realm).promise, PromiseState::Pending(Vec::new()))
}

/// A promise already fulfilled with `v`.
pub fn fulfilled(host: &mut dyn Host, v: Value) -> Obj {
    let p = new_pending(&host.js().realm);
    resolve_promise(host, &p, v);
    p
}

/// A promise already rejected with `e`.
pub fn rejected(host: &mut dyn Host, e: Value) -> Obj {
    let p = new_pending(&host.js().realm);
    reject_promise(host, &p, e);
    p
}

fn resolving_functions(realm: &Realm, p: &Obj) -> (Obj, Obj) {
    (
        realm.bound_function(
            "resolve",
            |s, p, a| {
                if let Value::Object(p) = p {
                    resolve_promise(s, p, arg(a, 0));
                }
                Ok(Value::Undefined)
            },
            p.clone().into(),
        ),
        realm.bound_function(
            "reject",
            |s, p, a| {
                if let Value::Object(p) = p {
                    reject_promise(s, p, arg(a, 0));
                }
                Ok(Value::Undefined)
            },
            p.clone().into(),
        ),
    )
}

fn is_promise(v: &Value) -> Option<&Obj> {
    v.as_object().filter(|o| o.is_host::<PromiseState>())
}

fn is_pending(p: &Obj) -> bool {
    p.host::<PromiseState>().is_some_and(|s| matches!(*s, PromiseState::Pending(_)))
}

/// The resolve function: adopts `v`'s state when it is a promise, else fulfils with it.
/// Settling twice is ignored, as in JavaScript.
pub fn resolve_promise(host: &mut dyn Host, p: &Obj, v: Value) {
    if !is_pending(p) {
        return;
    }
    if let Some(inner) = is_promise(&v) {
        if inner.same(p) {
            let e = type_error(host, "Chaining cycle detected for promise");
            return reject_promise(host, p, e);
        }
        let (resolve, reject) = resolving_functions(&host.js().realm, p);
        let inner = inner.clone();
        return add_reaction(
            host,
            &inner,
            Reaction { on_fulfilled: resolve.into(), on_rejected: reject.into(), derived: None },
        );
    }
    settle(host, p, PromiseState::Fulfilled(v));
}

pub fn reject_promise(host: &mut dyn Host, p: &Obj, e: Value) {
    if is_pending(p) {
        settle(host, p, PromiseState::Rejected(e));
    }
}

fn settle(host: &mut dyn Host, p: &Obj, state: PromiseState) {
    let (value, ok) = match &state {
        PromiseState::Fulfilled(v) => (v.clone(), true),
        PromiseState::Rejected(e) => (e.clone(), false),
        PromiseState::Pending(_) => return,
    };
    let reactions = match p.host_mut::<PromiseState>() {
        Some(mut s) => match std::mem::replace(&mut *s, state) {
            PromiseState::Pending(r) => r,
            _ => Vec::new(),
        },
        None => return,
    };
    for r in reactions {
        run_reaction(host, r, value.clone(), ok);
    }
}

fn add_reaction(host: &mut dyn Host, p: &Obj, r: Reaction) {
    let settled = match p.host_mut::<PromiseState>().as_deref_mut() {
        Some(PromiseState::Pending(list)) => {
            list.push(r);
            return;
        }
        Some(PromiseState::Fulfilled(v)) => (v.clone(), true),
        Some(PromiseState::Rejected(e)) => (e.clone(), false),
        None => return,
    };
    run_reaction(host, r, settled.0, settled.1);
}

/// Queues the handler for `value`; its outcome settles the derived promise. Without a
/// handler the outcome passes through to the derived promise.
fn run_reaction(host: &mut dyn Host, r: Reaction, value: Value, ok: bool) {
    let handler = if ok { r.on_fulfilled } else { r.on_rejected };
    match handler.as_object().filter(|h| h.is_callable()) {
        Some(h) => {
            let derived: Value = r.derived.map(Value::Object).unwrap_or_default();
            host.js().events.queue_call_then(h.clone(), vec![value], (settle_derived, derived));
        }
        None => {
            if let Some(d) = r.derived {
                if ok {
                    resolve_promise(host, &d, value);
                } else {
                    reject_promise(host, &d, value);
                }
            }
        }
    }
}

/// Continuation of a reaction: `[result, threw]` settles the derived promise.
fn settle_derived(host: &mut dyn Host, derived: &Value, args: &[Value]) -> JsResult {
    if let Value::Object(d) = derived {
        if matches!(arg(args, 1), Value::Bool(true)) {
            reject_promise(host, d, arg(args, 0));
        } else {
            resolve_promise(host, d, arg(args, 0));
        }
    }
    Ok(Value::Undefined)
}

/// `p.then(onFulfilled, onRejected)`: a new promise for the handler's outcome.
pub fn then(host: &mut dyn Host, this: &Value, args: &[Value]) -> JsResult {
    let Some(p) = is_promise(this).cloned() else {
        return Err(type_error(host, "Method Promise.prototype.then called on incompatible receiver"));
    };
    let derived = new_pending(&host.js().realm);
    add_reaction(
        host,
        &p,
        Reaction { on_fulfilled: arg(args, 0), on_rejected: arg(args, 1), derived: Some(derived.clone()) },
    );
    Ok(derived.into())
}

fn catch(host: &mut dyn Host, this: &Value, args: &[Value]) -> JsResult {
    then(host, this, &[Value::Undefined, arg(args, 0)])
}

/// `p.finally(f)`: `f` runs either way (with no argument); the outcome passes through
/// unchanged. Simplified: `f`'s own result is not awaited.
fn finally(host: &mut dyn Host, this: &Value, args: &[Value]) -> JsResult {
    let Some(p) = is_promise(this).cloned() else {
        return Err(type_error(host, "Method Promise.prototype.finally called on incompatible receiver"));
    };
    if let Some(f) = arg(args, 0).as_object().filter(|f| f.is_callable()) {
        let run = host.js().realm.bound_function(
            "finally",
            |s, f, _| {
                if let Value::Object(f) = f {
                    s.js().events.queue_callback(f.clone(), Vec::new());
                }
                Ok(Value::Undefined)
            },
            f.clone().into(),
        );
        add_reaction(host, &p, Reaction { on_fulfilled: run.clone().into(), on_rejected: run.into(), derived: None });
    }
    Ok(p.into())
}

fn static_resolve(host: &mut dyn Host, _this: &Value, args: &[Value]) -> JsResult {
    let v = arg(args, 0);
    if is_promise(&v).is_some() {
        return Ok(v);
    }
    Ok(fulfilled(host, v).into())
}

fn static_reject(host: &mut dyn Host, _this: &Value, args: &[Value]) -> JsResult {
    Ok(rejected(host, arg(args, 0)).into())
}

/// Registers native continuations on `p`: `on_ok(host, &data, [value])` or
/// `on_err(host, &data, [reason])`.
pub fn on_settled(host: &mut dyn Host, p: &Obj, on_ok: NativeFn, on_err: NativeFn, data: Value) {
    let ok = host.js().realm.bound_function("onFulfilled", on_ok, data.clone());
    let err = host.js().realm.bound_function("onRejected", on_err, data);
    add_reaction(host, p, Reaction { on_fulfilled: ok.into(), on_rejected: err.into(), derived: None });
}

/// Whether `v` is a promise (for callers deciding between a value and a promise of one).
pub fn as_promise(v: &Value) -> Option<Obj> {
    is_promise(v).cloned()
}
