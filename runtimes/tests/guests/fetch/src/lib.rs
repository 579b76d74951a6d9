//! Test guest: outbound `wasi:http`. `/fetch?url=http://HOST:PORT/PATH` fetches the URL and
//! answers with its status and body; when the host refuses or the request fails, 502 with
//! `outbound error: <error-code>`.

#[path = "../../http_util.rs"]
mod http_util;

use http_util::{path, query, respond};
use wasip2::http::outgoing_handler;
use wasip2::http::types::{Fields, IncomingRequest, OutgoingRequest, ResponseOutparam, Scheme};
use wasip2::io::streams::StreamError;

struct Fetch;

fn fetch(url: &str) -> Result<(u16, Vec<u8>), String> {
    let (scheme, rest) = url.split_once("://").ok_or("url without scheme")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let req = OutgoingRequest::new(Fields::new());
    req.set_scheme(Some(&if scheme == "https" { Scheme::Https } else { Scheme::Http })).unwrap();
    req.set_authority(Some(authority)).unwrap();
    req.set_path_with_query(Some(path)).unwrap();
    let pending = outgoing_handler::handle(req, None).map_err(|e| format!("{e:?}"))?;
    pending.subscribe().block();
    let resp =
        pending.get().ok_or("no response")?.map_err(|_| "response taken twice")?.map_err(|e| format!("{e:?}"))?;
    let status = resp.status();
    let body = resp.consume().map_err(|_| "no body")?;
    let stream = body.stream().map_err(|_| "no stream")?;
    let mut buf = Vec::new();
    loop {
        match stream.blocking_read(64 << 10) {
            Ok(c) => buf.extend_from_slice(&c),
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(e)) => return Err(e.to_debug_string()),
        }
    }
    Ok((status, buf))
}

impl wasip2::exports::http::incoming_handler::Guest for Fetch {
    fn handle(req: IncomingRequest, out: ResponseOutparam) {
        let path = path(&req);
        let Some(url) = query(&path, "url") else {
            return respond(out, 400, b"usage: /fetch?url=http://HOST:PORT/PATH");
        };
        match fetch(url) {
            Ok((status, body)) => respond(out, status, &body),
            Err(e) => respond(out, 502, format!("outbound error: {e}").as_bytes()),
        }
    }
}

wasip2::http::proxy::export!(Fetch);
