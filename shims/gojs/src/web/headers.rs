//! `Headers`: names are case-insensitive and kept lower-case; `get` joins repeated values with
//! ", " and iteration yields one combined entry per name in sorted order (WHATWG), except
//! `set-cookie`, whose values stay apart (`getSetCookie`). The raw list keeps every value in
//! order, so a response can carry repeated fields to `wasi:http` as they were appended.

use super::{host_object, iter_result, HostData};
use crate::realm::{arg, type_error, Realm};
use crate::shim::Shim;
use crate::value::{to_js_string, JsResult, Kind, Obj, Value};
use std::collections::VecDeque;

/// (lower-case name, value) in insertion order.
pub type HeaderList = Vec<(String, String)>;

pub fn install(realm: &Realm) {
    let proto = &realm.web.headers;
    realm.constructor("Headers", proto, |s, _, _| Err(type_error(s, "Constructor Headers requires 'new'")), headers_construct);
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
        let cookies: Vec<Value> = list(this).unwrap_or_default().into_iter().filter(|(n, _)| n == "set-cookie").map(|(_, v)| Value::str(&v)).collect();
        Ok(s.realm.array(cookies).into())
    });
    realm.method(proto, "entries", |s, this, _| entries_iter(s, this, |s, n, v| pair(&s.realm, n, v)));
    realm.method(proto, "keys", |s, this, _| entries_iter(s, this, |_, n, _| Value::str(n)));
    realm.method(proto, "values", |s, this, _| entries_iter(s, this, |_, _, v| Value::str(v)));
    realm.method(proto, "forEach", |s, this, a| {
        let Some(f) = arg(a, 0).as_object().filter(|f| f.is_callable()).cloned() else {
            return Err(type_error(s, "Headers.prototype.forEach: callback is not a function"));
        };
        for (n, v) in combined(&list(this).unwrap_or_default()) {
            s.queue_callback(f.clone(), vec![Value::str(&v), Value::str(&n), this.clone()]);
        }
        Ok(Value::Undefined)
    });
    // Iterators: `next()`, and `Array.from(iterator)` through Array.from below.
    realm.method(&realm.web.iterator, "next", |s, this, _| {
        let next = match this.as_object().cloned() {
            Some(o) => match &mut o.borrow_mut().kind {
                Kind::Host(HostData::Iterator(items)) => items.pop_front(),
                _ => None,
            },
            None => None,
        };
        Ok(match next {
            Some(v) => iter_result(&s.realm, v, false),
            None => iter_result(&s.realm, Value::Undefined, true),
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
    match &v.as_object()?.borrow().kind {
        Kind::Host(HostData::Headers(l)) => Some(l.clone()),
        _ => None,
    }
}

/// Replaces the contents of a Headers object (trailers arriving after its owner was created).
#[cfg(feature = "http")]
pub fn replace(headers: &Obj, l: HeaderList) {
    if let Kind::Host(HostData::Headers(old)) = &mut headers.borrow_mut().kind {
        *old = l;
    }
}

fn with_list(shim: &mut Shim, this: &Value, f: impl FnOnce(&mut HeaderList) -> Value) -> JsResult {
    if let Some(o) = this.as_object() {
        if let Kind::Host(HostData::Headers(l)) = &mut o.borrow_mut().kind {
            return Ok(f(l));
        }
    }
    Err(type_error(shim, "Illegal invocation: not a Headers object"))
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

fn entries_iter(shim: &mut Shim, this: &Value, item: impl Fn(&Shim, &str, &str) -> Value) -> JsResult {
    let Some(l) = list(this) else {
        return Err(type_error(shim, "Illegal invocation: not a Headers object"));
    };
    let items: VecDeque<Value> = combined(&l).iter().map(|(n, v)| item(shim, n, v)).collect();
    Ok(host_object(&shim.realm.web.iterator, HostData::Iterator(items)).into())
}

pub fn new_headers(realm: &Realm, l: HeaderList) -> Obj {
    host_object(&realm.web.headers, HostData::Headers(l))
}

/// `new Headers(init)`: from another Headers, an array of pairs, or an object's properties.
fn headers_construct(shim: &mut Shim, args: &[Value]) -> JsResult {
    let l = from_init(shim, &arg(args, 0))?;
    Ok(new_headers(&shim.realm, l).into())
}

pub fn from_init(shim: &mut Shim, init: &Value) -> Result<HeaderList, Value> {
    let mut l = HeaderList::new();
    match init {
        Value::Undefined | Value::Null => {}
        v if list(v).is_some() => l = list(v).unwrap(),
        Value::Object(o) => {
            if let Some(items) = o.elements() {
                for item in items {
                    let pair = item.as_object().and_then(|p| p.elements()).unwrap_or_default();
                    if pair.len() != 2 {
                        return Err(type_error(shim, "Headers constructor: expected name/value pair"));
                    }
                    append(&mut l, &pair);
                }
            } else {
                let props: Vec<(String, Value)> = o.borrow().props.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
                for (k, v) in props {
                    append(&mut l, &[Value::str(&k), v]);
                }
            }
        }
        _ => return Err(type_error(shim, "Headers constructor: invalid init")),
    }
    Ok(l)
}

/// `Array.from(arrayLike | iterator)`: arrays and Uint8Arrays element-wise, iterators (ours)
/// drained, other objects by `length`.
fn array_from(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    let src = arg(args, 0);
    let items = match src.as_object() {
        Some(o) => {
            let iter = match &mut o.borrow_mut().kind {
                Kind::Host(HostData::Iterator(items)) => Some(std::mem::take(items).into_iter().collect::<Vec<_>>()),
                _ => None,
            };
            match iter.or_else(|| o.elements()) {
                Some(items) => items,
                None => {
                    let n = crate::value::to_number(&o.get("length"));
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
    Ok(shim.realm.array(items).into())
}
