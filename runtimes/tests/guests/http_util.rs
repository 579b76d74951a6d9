//! Shared by the proxy test guests (included with `#[path]`): reading a request body and
//! sending a whole response.

#![allow(dead_code)]

use wasip2::http::types::{Fields, IncomingBody, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam};
use wasip2::io::streams::StreamError;

/// The request's path and query.
pub fn path(req: &IncomingRequest) -> String {
    req.path_with_query().unwrap_or_else(|| "/".into())
}

/// The value of `name` in the query string.
pub fn query<'a>(path: &'a str, name: &str) -> Option<&'a str> {
    let (_, q) = path.split_once('?')?;
    q.split('&').find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
}

/// The whole request body, or the stream error that cut it short.
pub fn read_body(req: &IncomingRequest) -> Result<Vec<u8>, String> {
    let body = req.consume().map_err(|_| "body already consumed")?;
    let stream = body.stream().map_err(|_| "no body stream")?;
    let mut buf = Vec::new();
    loop {
        match stream.blocking_read(64 << 10) {
            Ok(chunk) => buf.extend_from_slice(&chunk),
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(e)) => return Err(e.to_debug_string()),
        }
    }
    drop(stream);
    IncomingBody::finish(body);
    Ok(buf)
}

/// Sends `status` with `body` (text/plain) and extra headers.
pub fn respond_with(out: ResponseOutparam, status: u16, headers: &[(&str, &str)], body: &[u8]) {
    let fields = Fields::new();
    fields.set("content-type", &[b"text/plain".to_vec()]).unwrap();
    for (k, v) in headers {
        fields.set(k, &[v.as_bytes().to_vec()]).unwrap();
    }
    let resp = OutgoingResponse::new(fields);
    resp.set_status_code(status).unwrap();
    let outgoing = resp.body().unwrap();
    ResponseOutparam::set(out, Ok(resp));
    let stream = outgoing.write().unwrap();
    for chunk in body.chunks(4096) {
        stream.blocking_write_and_flush(chunk).unwrap();
    }
    drop(stream);
    OutgoingBody::finish(outgoing, None).unwrap();
}

pub fn respond(out: ResponseOutparam, status: u16, body: &[u8]) {
    respond_with(out, status, &[], body)
}
