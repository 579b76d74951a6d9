//! `Request` and `Response`: plain objects with the WHATWG fields guests read (`url`, `method`,
//! `headers`, `body`, `signal`; `status`, `statusText`, `ok`, `headers`, `body`), the body
//! always a `ReadableStream` or null.

use crate::headers::{self, new_headers};
use crate::{protos, stream};
use js_realm::realm::{throw_range_error, type_error};
use js_realm::value::{to_js_string, to_number};
use js_realm::{arg, Host, JsResult, Kind, Obj, Realm, Value};

pub fn install(realm: &Realm) {
    let p = protos(realm);
    realm.constructor(
        "Request",
        &p.request,
        |s, _, _| Err(type_error(s, "Constructor Request requires 'new'")),
        request_construct,
    );
    realm.constructor(
        "Response",
        &p.response,
        |s, _, _| Err(type_error(s, "Constructor Response requires 'new'")),
        response_construct,
    );
}

/// `new Request(input, init)`.
fn request_construct(host: &mut dyn Host, args: &[Value]) -> JsResult {
    let input = arg(args, 0);
    let init = arg(args, 1);
    let from =
        input.as_object().filter(|o| o.get("url").as_object().is_none() && !matches!(o.get("url"), Value::Undefined));
    let url = match from {
        Some(r) => to_js_string(&r.get("url")),
        None => to_js_string(&input),
    };
    let field = |name: &str| match init.as_object().map(|o| o.get(name)) {
        Some(v) if !matches!(v, Value::Undefined) => v,
        _ => from.map(|r| r.get(name)).unwrap_or_default(),
    };
    let method = match field("method") {
        Value::Undefined => "GET".to_string(),
        m => to_js_string(&m).to_ascii_uppercase(),
    };
    let hdrs = headers::from_init(host, &field("headers"))?;
    let body = stream::body_from_init(host, &field("body"))?;
    if body.is_some() && (method == "GET" || method == "HEAD") {
        return Err(type_error(host, "Request with GET/HEAD method cannot have body."));
    }
    Ok(new_request(
        &host.js().realm,
        &url,
        &method,
        hdrs,
        body.map(Value::Object).unwrap_or(Value::Null),
        field("signal"),
        None,
    )
    .into())
}

/// `trailers` is not WHATWG: a `Headers` object that the host fills once the body has been read
/// to the end (request trailers; empty when there are none), read by
/// wasm-server-bindgen/gojs/httpserve into `http.Request.Trailer`. shims/gojs/node/serve.mjs
/// gives node's requests the same property.
pub fn new_request(
    realm: &Realm,
    url: &str,
    method: &str,
    hdrs: headers::HeaderList,
    body: Value,
    signal: Value,
    trailers: Option<Obj>,
) -> Obj {
    let r = Obj::new(Some(&protos(realm).request), Kind::Ordinary);
    r.set("url", Value::str(url));
    r.set("method", Value::str(method));
    r.set("headers", new_headers(realm, hdrs).into());
    r.set("trailers", trailers.unwrap_or_else(|| new_headers(realm, Vec::new())).into());
    r.set("body", body);
    r.set("signal", signal);
    r.set("redirect", Value::str("follow"));
    r
}

/// `new Response(body, init)`.
fn response_construct(host: &mut dyn Host, args: &[Value]) -> JsResult {
    let init = arg(args, 1);
    let get = |name: &str| init.as_object().map(|o| o.get(name)).unwrap_or_default();
    let status = match get("status") {
        Value::Undefined => 200.0,
        v => to_number(&v),
    };
    if !(200.0..=599.0).contains(&status) || status.fract() != 0.0 {
        return Err(throw_range_error(
            host,
            &format!("init[\"status\"] must be in the range of 200 to 599, inclusive. Received {status}"),
        ));
    }
    let body = stream::body_from_init(host, &arg(args, 0))?;
    if body.is_some() && matches!(status as u16, 101 | 204 | 205 | 304) {
        return Err(type_error(host, "Response constructor: Invalid response status code"));
    }
    let hdrs = headers::from_init(host, &get("headers"))?;
    let status_text = match get("statusText") {
        Value::Undefined => String::new(),
        v => to_js_string(&v),
    };
    Ok(new_response(
        &host.js().realm,
        status as u16,
        &status_text,
        hdrs,
        body.map(Value::Object).unwrap_or(Value::Null),
    )
    .into())
}

pub fn new_response(realm: &Realm, status: u16, status_text: &str, hdrs: headers::HeaderList, body: Value) -> Obj {
    let r = Obj::new(Some(&protos(realm).response), Kind::Ordinary);
    r.set("status", Value::Number(status as f64));
    r.set("statusText", Value::str(status_text));
    r.set("ok", Value::Bool((200..300).contains(&status)));
    r.set("headers", new_headers(realm, hdrs).into());
    r.set("body", body);
    r.set("type", Value::str("default"));
    r.set("redirected", Value::Bool(false));
    r.set("url", Value::str(""));
    r
}
