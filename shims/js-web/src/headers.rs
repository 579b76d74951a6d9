//! `Headers`: names are case-insensitive and kept lower-case; `get` joins repeated values with
//! ", " and iteration yields one combined entry per name in sorted order (WHATWG), except
//! `set-cookie`, whose values stay apart (`getSetCookie`). The raw list keeps every value in
//! order, so a response can carry repeated fields to `wasi:http` as they were appended.

use crate::{iter_result, protos};
use js_realm::realm::type_error;
use js_realm::value::{to_js_string, to_number};
use js_realm::{arg, Host, HostData, JsResult, Obj, Realm, Value};
use std::collections::VecDeque;

/// (lower-case name, value) in insertion order.
pub type HeaderList = Vec<(String, String)>;

/// The state of a `Headers` object: its raw list.
pub struct Headers(pub HeaderList);

impl HostData for Headers {
    fn tag(&self) -> &'static str {
        "Headers"
    }
}

/// The state of an iterator over a snapshot (`headers.entries()`): what `next()` returns in
/// turn.
pub struct ListIterator(pub VecDeque<Value>);

impl HostData for ListIterator {
    fn tag(&self) -> &'static str {
        "Iterator"
    }
}

pub fn install(realm: &Realm) {
    let proto = &protos(realm).headers;
    realm.constructor(
        "Headers",
        proto,
        |s, _, _| Err(type_error(s, "Constructor Headers requires 'new'")),
        headers_construct,
    );
    realm.method(proto, "append", |s, this, a| with_list(s, this, |l| append(l, a)));
    realm.method(proto, "set", |s, this, a| {
        with_list(s, this, |l| {
            let (name, value) = name_value(a);
            l.retain(|(n, _)| *n != name);
            l.push((name, value));
            Value::Undefined
        })
    });
    realm.method(proto, "delete", |s, this, a| {
        with_list(s, this, |l| {
            let name = to_js_string(&arg(a, 0)).to_ascii_lowercase();
            l.retain(|(n, _)| *n != name);
            Value::Undefined
        })
    });
    realm.method(proto, "get", |s, this, a| {
        with_list(s, this, |l| {
            let name = to_js_string(&arg(a, 0)).to_ascii_lowercase();
            let values: Vec<&str> = l.iter().filter(|(n, _)| *n == name).map(|(_, v)| v.as_str()).collect();
            if values.is_empty() {
                Value::Null
            } else {
                Value::str(&values.join(", "))
            }
        })
    });
    realm.method(proto, "has", |s, this, a| {
        with_list(s, this, |l| {
            let name = to_js_string(&arg(a, 0)).to_ascii_lowercase();
            Value::Bool(l.iter().any(|(n, _)| *n == name))
        })
    });
    realm.method(proto, "getSetCookie", |s, this, _| {
        let cookies: Vec<Value> = list(this)
            .unwrap_or_default()
            .into_iter()
            .filter(|(n, _)| n == "set-cookie")
            .map(|(_, v)| Value::str(&v))
            .collect();
        Ok(s.js().realm.array(cookies).into())
    });
    realm.method(proto, "entries", |s, this, _| entries_iter(s, this, pair));
    realm.method(proto, "keys", |s, this, _| entries_iter(s, this, |_, n, _| Value::str(n)));
    realm.method(proto, "values", |s, this, _| entries_iter(s, this, |_, _, v| Value::str(v)));
    realm.method(proto, "forEach", |s, this, a| {
        let Some(f) = arg(a, 0).as_object().filter(|f| f.is_callable()).cloned() else {
            return Err(type_error(s, "Headers.prototype.forEach: callback is not a function"));
        };
        for (n, v) in combined(&list(this).unwrap_or_default()) {
            s.js().events.queue_callback(f.clone(), vec![Value::str(&v), Value::str(&n), this.clone()]);
        }
        Ok(Value::Undefined)
    });
    // Iterators: `next()`, and `Array.from(iterator)` through Array.from below.
    realm.method(&protos(realm).iterator, "next", |s, this, _| {
        let next = this.as_object().and_then(|o| o.host_mut::<ListIterator>().and_then(|mut i| i.0.pop_front()));
        let realm = &s.js().realm;
        Ok(match next {
            Some(v) => iter_result(realm, v, false),
            None => iter_result(realm, Value::Undefined, true),
        })
    });
    if let Value::Object(array) = realm.global.get("Array") {
        realm.method(&array, "from", array_from);
    }
}

fn pair(realm: &Realm, n: &str, v: &str) -> Value {
    realm.array(vec![Value::str(n), Value::str(v)]).into()
}

fn name_value(a: &[Value]) -> (String, String) {
    let name = to_js_string(&arg(a, 0)).to_ascii_lowercase();
    let value = to_js_string(&arg(a, 1)).trim_matches(|c| c == ' ' || c == '\t' || c == '\r' || c == '\n').to_string();
    (name, value)
}

fn append(l: &mut HeaderList, a: &[Value]) -> Value {
    l.push(name_value(a));
    Value::Undefined
}

/// The raw list of a Headers object.
pub fn list(v: &Value) -> Option<HeaderList> {
    Some(v.as_object()?.host::<Headers>()?.0.clone())
}

/// Replaces the contents of a Headers object (trailers arriving after its owner was created).
pub fn replace(headers: &Obj, l: HeaderList) {
    if let Some(mut old) = headers.host_mut::<Headers>() {
        old.0 = l;
    }
}

fn with_list(host: &mut dyn Host, this: &Value, f: impl FnOnce(&mut HeaderList) -> Value) -> JsResult {
    if let Some(mut h) = this.as_object().and_then(|o| o.host_mut::<Headers>()) {
        return Ok(f(&mut h.0));
    }
    Err(type_error(host, "Illegal invocation: not a Headers object"))
}

/// Iteration order: names sorted, repeated values combined, set-cookie values apart.
fn combined(l: &HeaderList) -> Vec<(String, String)> {
    let mut names: Vec<&String> = l.iter().map(|(n, _)| n).collect();
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    for n in names {
        let values: Vec<&str> = l.iter().filter(|(m, _)| m == n).map(|(_, v)| v.as_str()).collect();
        if n == "set-cookie" {
            out.extend(values.into_iter().map(|v| (n.clone(), v.to_string())));
        } else {
            out.push((n.clone(), values.join(", ")));
        }
    }
    out
}

fn entries_iter(host: &mut dyn Host, this: &Value, item: impl Fn(&Realm, &str, &str) -> Value) -> JsResult {
    let Some(l) = list(this) else {
        return Err(type_error(host, "Illegal invocation: not a Headers object"));
    };
    let realm = &host.js().realm;
    let items: VecDeque<Value> = combined(&l).iter().map(|(n, v)| item(realm, n, v)).collect();
    Ok(Obj::with_host(&protos(realm).iterator, ListIterator(items)).into())
}

pub fn new_headers(realm: &Realm, l: HeaderList) -> Obj {
    Obj::with_host(&protos(realm).headers, Headers(l))
}

/// `new Headers(init)`: from another Headers, an array of pairs, or an object's properties.
fn headers_construct(host: &mut dyn Host, args: &[Value]) -> JsResult {
    let l = from_init(host, &arg(args, 0))?;
    Ok(new_headers(&host.js().realm, l).into())
}

pub fn from_init(host: &mut dyn Host, init: &Value) -> Result<HeaderList, Value> {
    let mut l = HeaderList::new();
    match init {
        Value::Undefined | Value::Null => {}
        v if list(v).is_some() => l = list(v).unwrap(),
        Value::Object(o) => {
            if let Some(items) = o.elements() {
                for item in items {
                    let pair = item.as_object().and_then(|p| p.elements()).unwrap_or_default();
                    if pair.len() != 2 {
                        return Err(type_error(host, "Headers constructor: expected name/value pair"));
                    }
                    append(&mut l, &pair);
                }
            } else {
                let props: Vec<(String, Value)> =
                    o.borrow().props.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
                for (k, v) in props {
                    append(&mut l, &[Value::str(&k), v]);
                }
            }
        }
        _ => return Err(type_error(host, "Headers constructor: invalid init")),
    }
    Ok(l)
}

/// `Array.from(arrayLike | iterator)`: arrays and Uint8Arrays element-wise, iterators (ours)
/// drained, other objects by `length`.
fn array_from(host: &mut dyn Host, _this: &Value, args: &[Value]) -> JsResult {
    let src = arg(args, 0);
    let items = match src.as_object() {
        Some(o) => {
            let iter =
                o.host_mut::<ListIterator>().map(|mut i| std::mem::take(&mut i.0).into_iter().collect::<Vec<_>>());
            match iter.or_else(|| o.elements()) {
                Some(items) => items,
                None => {
                    let n = to_number(&o.get("length"));
                    let n = if n.is_finite() && n > 0.0 { n.min(1e7) as i64 } else { 0 };
                    (0..n).map(|i| o.get_index(i)).collect()
                }
            }
        }
        None => match &src {
            Value::String(s) => s.chars().map(|c| Value::str(&c.to_string())).collect(),
            _ => Vec::new(),
        },
    };
    Ok(host.js().realm.array(items).into())
}
