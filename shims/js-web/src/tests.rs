//! Behaviour of the web classes, through their JS methods, on a test embedding.

use crate::testing::TestHost;
use crate::{headers, promise, stream};
use js_realm::value::{to_js_string, to_number};
use js_realm::{arg, Callable, Host, JsResult, Obj, Value};

fn shim() -> TestHost {
    TestHost::new()
}

/// Runs the event loop until it has nothing left.
fn drain(s: &mut TestHost) {
    s.drain();
}

/// A native callback that stores its first argument as `globalThis[<bound name>]`.
fn recorder(s: &TestHost, name: &str) -> Obj {
    s.js.realm.bound_function(
        "record",
        |s: &mut dyn Host, name: &Value, a: &[Value]| -> JsResult {
            s.js().realm.global.set(&to_js_string(name), arg(a, 0));
            Ok(Value::Undefined)
        },
        Value::str(name),
    )
}

fn call(s: &mut dyn Host, target: &Value, method: &str, args: Vec<Value>) -> Value {
    let f = target.get(method);
    let Some(Callable::Native(native)) = f.as_object().and_then(Obj::callable) else {
        panic!("{method} is not native")
    };
    native(s, target, &args).unwrap_or_else(|e| panic!("{method} threw {}", to_js_string(&e)))
}

#[test]
fn then_chains_pass_values_and_rejections_through() {
    let mut s = shim();
    let p: Value = promise::fulfilled(&mut s, Value::Number(5.0)).into();
    // p.then(undefined).then(record("a")): fulfilment passes through a missing handler.
    let p2 = call(&mut s, &p, "then", vec![Value::Undefined]);
    let rec = recorder(&s, "a");
    call(&mut s, &p2, "then", vec![rec.into()]);
    let r: Value = promise::rejected(&mut s, Value::str("boom")).into();
    let never = recorder(&s, "never");
    let r2 = call(&mut s, &r, "then", vec![never.into()]);
    let rec_b = recorder(&s, "b");

    call(&mut s, &r2, "catch", vec![rec_b.into()]);
    drain(&mut s);
    assert_eq!(to_js_string(&s.js.realm.global.get("a")), "5");
    assert_eq!(to_js_string(&s.js.realm.global.get("b")), "boom");
    assert!(matches!(s.js.realm.global.get("never"), Value::Undefined));
}

#[test]
fn a_promise_resolved_with_a_promise_adopts_it() {
    let mut s = shim();
    let inner = promise::new_pending(&s.js.realm);
    let outer = promise::new_pending(&s.js.realm);
    promise::resolve_promise(&mut s, &outer, inner.clone().into());
    let rec_x = recorder(&s, "x");

    call(&mut s, &outer.clone().into(), "then", vec![rec_x.into()]);
    drain(&mut s);
    assert!(matches!(s.js.realm.global.get("x"), Value::Undefined), "still pending");
    promise::resolve_promise(&mut s, &inner, Value::str("done"));
    drain(&mut s);
    assert_eq!(to_js_string(&s.js.realm.global.get("x")), "done");
}

#[test]
fn headers_join_repeats_but_keep_cookies_apart() {
    let mut s = shim();
    let h: Value = headers::new_headers(&s.js.realm, Vec::new()).into();
    for (n, v) in [("X-B", "1"), ("x-a", " 2 "), ("X-B", "3"), ("Set-Cookie", "a=1"), ("set-cookie", "b=2")] {
        call(&mut s, &h, "append", vec![Value::str(n), Value::str(v)]);
    }
    assert_eq!(to_js_string(&call(&mut s, &h, "get", vec![Value::str("x-b")])), "1, 3");
    assert!(matches!(call(&mut s, &h, "get", vec![Value::str("nope")]), Value::Null));
    let it = call(&mut s, &h, "entries", vec![]);
    let mut seen = Vec::new();
    loop {
        let next = call(&mut s, &it, "next", vec![]);
        if matches!(next.get("done"), Value::Bool(true)) {
            break;
        }
        seen.push(to_js_string(&next.get("value")));
    }
    assert_eq!(seen, ["set-cookie,a=1", "set-cookie,b=2", "x-a,2", "x-b,1, 3"]);
    // The raw list keeps every value apart, in order, for wasi:http.
    assert_eq!(headers::list(&h).unwrap().len(), 5);
}

#[test]
fn a_byte_stream_reads_its_chunk_then_ends() {
    let mut s = shim();
    let stream: Value = stream::from_bytes(&s.js.realm, b"hi".to_vec()).into();
    let reader = call(&mut s, &stream, "getReader", vec![]);
    let first = call(&mut s, &reader, "read", vec![]);
    let rec_first = recorder(&s, "first");

    call(&mut s, &first, "then", vec![rec_first.into()]);
    let second = call(&mut s, &reader, "read", vec![]);
    let rec_second = recorder(&s, "second");

    call(&mut s, &second, "then", vec![rec_second.into()]);
    drain(&mut s);
    let first = s.js.realm.global.get("first");
    assert!(matches!(first.get("done"), Value::Bool(false)));
    assert_eq!(to_js_string(&first.get("value")), "104,105");
    assert!(matches!(s.js.realm.global.get("second").get("done"), Value::Bool(true)));
    // A second reader is refused while the first holds the lock.
    let f = stream.get("getReader");
    let Some(Callable::Native(get_reader)) = f.as_object().and_then(Obj::callable) else { unreachable!() };
    assert!(get_reader(&mut s, &stream, &[]).is_err());
}

#[test]
fn a_pull_source_is_pulled_only_while_reads_wait() {
    let mut s = shim();
    // pull(controller) enqueues one chunk per call, counting calls in globalThis.pulls.
    let pull = s.js.realm.function("pull", |s, _, a| {
        let n = to_number(&s.js().realm.global.get("pulls"));
        let n = if n.is_nan() { 0.0 } else { n };
        s.js().realm.global.set("pulls", Value::Number(n + 1.0));
        let c = arg(a, 0);
        let chunk: Value = s.js().realm.uint8array(vec![n as u8]).into();
        call(s, &c, "enqueue", vec![chunk]);
        Ok(Value::Undefined)
    });
    let source = s.js.realm.object();
    source.set("pull", pull.into());
    let ctor = s.js.realm.global.get("ReadableStream");
    let construct = ctor.as_object().unwrap().constructor().unwrap();
    let stream = construct(&mut s, &[source.into()]).unwrap_or_default();
    let reader = call(&mut s, &stream, "getReader", vec![]);
    drain(&mut s);
    assert!(matches!(s.js.realm.global.get("pulls"), Value::Undefined), "no read, no pull");
    let read = call(&mut s, &reader, "read", vec![]);
    let rec_r = recorder(&s, "r");

    call(&mut s, &read, "then", vec![rec_r.into()]);
    drain(&mut s);
    assert_eq!(to_js_string(&s.js.realm.global.get("pulls")), "1");
    assert_eq!(to_js_string(&s.js.realm.global.get("r").get("value")), "0");
}
