//! A small HTTP/1.1 client for what ureq cannot do: trailers (the body goes chunked with the
//! trailers after it, the request says `TE: trailers` — hyper's servers send response trailers
//! only then — and the answer's trailers are read), a client that goes away mid-answer, and
//! one that stalls mid-upload (the body's end never comes), one that stops reading the
//! answer for a while after its head, and one that sends its whole body before it reads any of
//! the answer (as every request here does).

use crate::http::HttpRequest;
use anyhow::{anyhow, bail, Context, Result};
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub trailers: Vec<(String, String)>,
}

/// Sends `req` to `base` with `body` and the request's trailers (with `req.stall_body`, neither
/// the body's end nor trailers); one connection, closed after the answer, or once
/// `req.disconnect_after_bytes` of it (counted on the wire after the head) have come. With
/// `req.stall_read_ms`, the answer's body is read only that long after its head.
pub fn send(base: SocketAddr, path: &str, req: &HttpRequest, body: Box<dyn Read + Send>) -> Result<Answer> {
    let stream = TcpStream::connect(base).with_context(|| format!("connecting to {base}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    // A server that stops reading the body (while its answer waits for this client to read)
    // fails the request after a while instead of holding the run.
    stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
    write_request(&stream, base, path, req, body).map_err(|e| match e.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => {
            anyhow!("sending the request: the server took no more of it for {} s", WRITE_TIMEOUT.as_secs())
        }
        _ => anyhow::Error::new(e).context("sending the request"),
    })?;
    let mut reader = BufReader::new(&stream);
    if let Some(n) = req.disconnect_after_bytes {
        return read_then_leave(&mut reader, n);
    }
    let head = read_head(&mut reader)?;
    if let Some(ms) = req.stall_read_ms {
        std::thread::sleep(Duration::from_millis(ms));
    }
    read_body(&mut reader, head)
}

const WRITE_TIMEOUT: Duration = Duration::from_secs(60);

/// Writes the request: its head, `body` chunked, then (unless `req.stall_body`) the body's end
/// with the request's trailers.
fn write_request(
    stream: &TcpStream,
    base: SocketAddr,
    path: &str,
    req: &HttpRequest,
    mut body: Box<dyn Read + Send>,
) -> std::io::Result<()> {
    let trailers = req.trailers.as_deref().unwrap_or_default();
    let mut out = std::io::BufWriter::new(stream);
    write!(
        out,
        "{} {path} HTTP/1.1\r\nHost: {base}\r\nConnection: close\r\nTE: trailers\r\nTransfer-Encoding: chunked\r\n",
        req.method
    )?;
    for (k, v) in &req.headers {
        write!(out, "{k}: {v}\r\n")?;
    }
    if !trailers.is_empty() {
        let names: Vec<&str> = trailers.iter().map(|(k, _)| k.as_str()).collect();
        write!(out, "Trailer: {}\r\n", names.join(", "))?;
    }
    out.write_all(b"\r\n")?;
    let mut buf = vec![0; 64 << 10];
    loop {
        let n = body.read(&mut buf)?;
        if n == 0 {
            break;
        }
        write!(out, "{n:x}\r\n")?;
        out.write_all(&buf[..n])?;
        out.write_all(b"\r\n")?;
    }
    if !req.stall_body {
        out.write_all(b"0\r\n")?;
        for (k, v) in trailers {
            write!(out, "{k}: {v}\r\n")?;
        }
        out.write_all(b"\r\n")?;
    }
    out.flush()
}

/// Reads the head and `n` bytes after it, then returns: the caller drops the connection.
fn read_then_leave(r: &mut impl BufRead, n: u64) -> Result<Answer> {
    let (status, headers) = read_head(r)?;
    let mut body = Vec::new();
    r.take(n).read_to_end(&mut body)?;
    if (body.len() as u64) < n {
        bail!("the answer ended after {} bytes, before the client meant to leave", body.len());
    }
    Ok(Answer { status, headers, body: Vec::new(), trailers: Vec::new() })
}

fn read_head(r: &mut impl BufRead) -> Result<(u16, Vec<(String, String)>)> {
    let status_line = line(r)?;
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("bad status line {status_line:?}"))?;
    Ok((status, fields(r)?))
}

#[cfg(test)]
fn read_answer(r: &mut impl BufRead) -> Result<Answer> {
    let head = read_head(r)?;
    read_body(r, head)
}

/// The body (and trailers) after the head `(status, headers)`.
fn read_body(r: &mut impl BufRead, (status, headers): (u16, Vec<(String, String)>)) -> Result<Answer> {
    let header = |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let mut body = Vec::new();
    let mut trailers = Vec::new();
    if header("transfer-encoding").is_some_and(|te| te.eq_ignore_ascii_case("chunked")) {
        loop {
            let size_line = line(r)?;
            let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
                .with_context(|| format!("bad chunk size {size_line:?}"))?;
            if size == 0 {
                trailers = fields(r)?;
                break;
            }
            let start = body.len();
            body.resize(start + size, 0);
            r.read_exact(&mut body[start..]).context("reading a chunk")?;
            if !line(r)?.is_empty() {
                bail!("no CRLF after a chunk");
            }
        }
    } else if let Some(len) = header("content-length") {
        let len: usize = len.trim().parse().with_context(|| format!("bad content-length {len:?}"))?;
        body.resize(len, 0);
        r.read_exact(&mut body).context("reading the body")?;
    } else {
        r.read_to_end(&mut body)?;
    }
    Ok(Answer { status, headers, body, trailers })
}

/// Header (or trailer) lines up to the blank line.
fn fields(r: &mut impl BufRead) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    loop {
        let l = line(r)?;
        if l.is_empty() {
            return Ok(out);
        }
        let (k, v) = l.split_once(':').with_context(|| format!("bad header line {l:?}"))?;
        out.push((k.trim().to_string(), v.trim().to_string()));
    }
}

/// One line without its CRLF; the connection ending early is an error.
fn line(r: &mut impl BufRead) -> Result<String> {
    let mut l = String::new();
    if r.read_line(&mut l)? == 0 {
        bail!("the connection closed mid-answer");
    }
    Ok(l.trim_end_matches(['\r', '\n']).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_chunked_answers_with_trailers() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5\r\nhello\r\n1;ext=1\r\n!\r\n0\r\nX-Sum: 42\r\n\r\n";
        let a = read_answer(&mut &raw[..]).unwrap();
        assert_eq!(a.status, 200);
        assert_eq!(a.body, b"hello!");
        assert_eq!(a.trailers, [("X-Sum".to_string(), "42".to_string())]);
        assert!(a.headers.contains(&("Content-Type".into(), "text/plain".into())));
    }

    #[test]
    fn reads_sized_answers_and_refuses_cut_ones() {
        let a = read_answer(&mut &b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno\n"[..]).unwrap();
        assert_eq!((a.status, a.body.as_slice()), (404, &b"no\n"[..]));
        assert!(read_answer(&mut &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"[..]).is_err());
    }
}
