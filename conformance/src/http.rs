//! HTTP cases (`[[http-case]]` in `conformance/cases/*.toml`): a handler served by each host,
//! the same requests sent to each over loopback, and what came back compared with the
//! reference's answers: status, the headers a handler controls, and the body (in full when
//! small, as length and SHA-256 when large, so 50 MB bodies are streamed, never held).
//!
//! The guest's toolchain serves the unrewritten module on its reference host (Go: node with
//! `shims/gojs/node/serve.mjs` and the release's own `wasm_exec.js`); the WASI hosts serve the
//! rewritten component.

use crate::hosts::HostKind;
use crate::matrix::{Row, Status};
use crate::rawhttp;
use crate::runner::{cell, first_line, guest_dir, rewrite_failed, summary, Rewrite, Runner};
use crate::toolchains::{ServeReference, Toolchain, SERVING_MARKER};
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HttpCase {
    pub name: String,
    pub capability: String,
    pub guest: String,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// How long a host lets a handler take before it answers 504 itself.
    #[serde(default = "default_handler_timeout")]
    pub handler_timeout_secs: u64,
    /// Key-value stores the guest opens (wasm-server grants them with `--kv`, each run in an
    /// empty data folder; node's glue has in-memory stores of any name).
    #[serde(default)]
    pub kv: Vec<String>,
    /// Text every host's log must show (the guest's stderr included) once the requests are
    /// done: what a handler can only report there, such as its context ending when the client
    /// left.
    #[serde(default)]
    pub expect_log: Vec<String>,
    /// Text no host's log may show (checked a moment after the expected lines): a crash that
    /// the answers alone would not reveal.
    #[serde(default)]
    pub forbid_log: Vec<String>,
    /// `"all"` or a list: the toolchain versions to run with (the handler path's ABI across
    /// releases), not only the default.
    #[serde(default)]
    pub versions: crate::cases::VersionSet,
    pub request: Vec<HttpRequest>,
    #[serde(skip)]
    pub source: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HttpRequest {
    #[serde(default = "default_method")]
    pub method: String,
    /// Path and query; `{upstream}` becomes the address of the test's own upstream server.
    pub path: String,
    /// Sent in order; a name may repeat.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// A generated body of this many bytes, streamed (chunked).
    pub body_bytes: Option<u64>,
    /// Copies sent at once; every answer must be the same.
    #[serde(default = "one")]
    pub repeat: usize,
    /// Trailers sent after the body (which then goes chunked, over a plain socket: the usual
    /// client has no trailers). With this set, even empty, the request says `TE: trailers` and
    /// the answer's trailers are compared too.
    pub trailers: Option<Vec<(String, String)>>,
    /// The client reads this many bytes of the answer after its head, then closes the
    /// connection (the handler's request context must end: see the case's `expect-log`).
    pub disconnect_after_bytes: Option<u64>,
    /// The client sends the body's bytes but never its end, and waits for the answer: a
    /// stalled upload, which only the handler (a deadline of its own) or the host's request
    /// timeout can end.
    #[serde(default)]
    pub stall_body: bool,
    /// The client reads the answer's head, then nothing for this long (the handler's writes
    /// wait for it once the buffers between are full), then the rest.
    pub stall_read_ms: Option<u64>,
    /// The client sends its whole body before it reads any of the answer, as the usual client
    /// does not: a handler that answers while it reads must do both at once.
    #[serde(default)]
    pub upload_first: bool,
    /// What node must answer (a check on the case itself).
    pub expect_status: Option<u16>,
    /// Headers node's answer must not have (of those compared: content-type, set-cookie,
    /// x-*), e.g. a Content-Type on a 304, which net/http's server drops.
    #[serde(default)]
    pub expect_no_header: Vec<String>,
    /// Compare only the status: the answer is the host's own (a timeout), whose headers and
    /// text legitimately differ from host to host.
    #[serde(default)]
    pub status_only: bool,
}

fn default_handler_timeout() -> u64 {
    3
}
fn default_method() -> String {
    "GET".into()
}
fn one() -> usize {
    1
}

/// How long a host may take to log what a case expects after its last answer.
const LOG_WAIT: Duration = Duration::from_secs(10);

/// The response headers a handler controls, which answers are compared on (lower case).
pub fn compared_header(name: &str) -> bool {
    name == "content-type" || name == "set-cookie" || name.starts_with("x-")
}

/// Bodies up to this size are compared in full; larger ones by length and digest.
const INLINE_BODY: usize = 2048;

/// A running HTTP host.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: mpsc::Receiver<String>,
    /// Log lines already taken from `log`.
    seen: Vec<String>,
}

impl Server {
    /// Starts `cmd` and waits for the line that names its address (`http://HOST:PORT`).
    fn start(mut cmd: Command, marker: &str) -> Result<Server> {
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().with_context(|| format!("starting {cmd:?}"))?;
        let (tx, rx) = mpsc::channel();
        for stream in
            [Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>, Box::new(child.stderr.take().unwrap())]
        {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(addr) = line.find(marker).and_then(|i| parse_addr(&line[i + marker.len()..])) {
                        return Ok(Server { child, addr, log: rx, seen: Vec::new() });
                    }
                    seen.push(line);
                }
                Err(_) => break,
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        bail!("the host did not start: {}", first_line(&seen.join("\n")))
    }

    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.seen.extend(self.log.try_iter());
        self.seen.join("\n")
    }

    /// Waits up to `within` for a log line containing each of the case's `expect-log`, then a
    /// moment more, and looks for its `forbid-log`; a message naming the first problem.
    fn check_log(&mut self, case: &HttpCase, within: Duration) -> Option<String> {
        if let Some(problem) = self.expect_log(&case.expect_log, within) {
            return Some(problem);
        }
        if !case.forbid_log.is_empty() {
            std::thread::sleep(Duration::from_millis(500));
            self.seen.extend(self.log.try_iter());
            for f in &case.forbid_log {
                if let Some(line) = self.seen.iter().find(|l| l.contains(f.as_str())) {
                    return Some(format!("the log shows {f:?}: {line}"));
                }
            }
        }
        None
    }

    /// Waits up to `within` for a log line containing each of `needles`; a message naming the
    /// first one missing.
    fn expect_log(&mut self, needles: &[String], within: Duration) -> Option<String> {
        let deadline = Instant::now() + within;
        loop {
            let missing = needles.iter().find(|n| !self.seen.iter().any(|l| l.contains(n.as_str())));
            let missing = missing?;
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return Some(format!("no log line with {missing:?} within {within:?}"));
            };
            match self.log.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => return Some(format!("no log line with {missing:?} within {within:?}")),
            }
        }
    }
}

fn parse_addr(s: &str) -> Option<SocketAddr> {
    let end = s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == ':')).unwrap_or(s.len());
    s[..end].parse().ok()
}

/// A loopback upstream for the outbound-fetch cases: answers every request with JSON naming
/// the method, path and the `X-Forwarded-By` header it received; a path under `/slow` only
/// after [`SLOW_UPSTREAM`] (a client's deadline must end the wait first), and under
/// `/stall-read` it does not even read the request's body for that long (a large upload
/// stalls once the buffers between are full). Under `/early` the answer's head goes out
/// before the request's body is read (as from a server that streams its answer).
struct Upstream {
    addr: SocketAddr,
}

/// How long the upstream takes to answer under `/slow`: longer than the test's client waits
/// for an answer (a host that waits for the upstream with Go's timers held fails the case
/// instead of answering late).
const SLOW_UPSTREAM: Duration = Duration::from_secs(60);

impl Upstream {
    fn start() -> Result<Upstream> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || Upstream::answer(stream));
            }
        });
        Ok(Upstream { addr })
    }

    fn answer(stream: std::net::TcpStream) {
        let mut reader = BufReader::new(&stream);
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).is_err() {
            return;
        }
        let (mut forwarded, mut length) = (String::new(), 0usize);
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap_or((&line, ""));
            match name.trim().to_ascii_lowercase().as_str() {
                "x-forwarded-by" => forwarded = value.trim().to_string(),
                "content-length" => length = value.trim().parse().unwrap_or(0),
                _ => {}
            }
        }
        let mut parts = request_line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        if path.starts_with("/stall-read") {
            std::thread::sleep(SLOW_UPSTREAM);
        }
        let early = path.starts_with("/early");
        if early {
            // The head goes out before the body is read, the JSON once it is (chunked).
            let _ = write!(&stream, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
        }
        // What came of the body (a client that cut it short gets a smaller count).
        let mut body = Vec::with_capacity(length);
        let _ = (&mut reader).take(length as u64).read_to_end(&mut body);
        if path.starts_with("/slow") {
            std::thread::sleep(SLOW_UPSTREAM);
        }
        let json = format!(
            "{{\"upstream\":true,\"method\":\"{method}\",\"path\":\"{path}\",\"forwarded_by\":\"{forwarded}\",\"body_bytes\":{}}}\n",
            body.len()
        );
        let _ = if early {
            write!(&stream, "{:x}\r\n{json}\r\n0\r\n\r\n", json.len())
        } else {
            write!(
                &stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
                json.len()
            )
        };
    }
}

/// Deterministic request bodies: byte i is i mod 251.
struct Pattern {
    left: u64,
    next: u8,
}

impl Read for Pattern {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.left as usize);
        for b in &mut buf[..n] {
            *b = self.next;
            self.next = if self.next == 250 { 0 } else { self.next + 1 };
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// What one request got back, as comparable text.
fn send(agent: &ureq::Agent, base: SocketAddr, upstream: SocketAddr, req: &HttpRequest) -> String {
    let path = req.path.replace("{upstream}", &upstream.to_string());
    if req.trailers.is_some()
        || req.disconnect_after_bytes.is_some()
        || req.stall_body
        || req.stall_read_ms.is_some()
        || req.upload_first
    {
        return match rawhttp::send(base, &path, req, request_body(req)) {
            Ok(answer) if req.disconnect_after_bytes.is_some() => {
                format!("{} {path} → {}\nthe client left mid-answer\n", req.method, answer.status)
            }
            Ok(answer) => {
                describe(req, &path, answer.status, answer.headers, &mut answer.body.as_slice(), &answer.trailers)
            }
            Err(e) => format!("{} {path} → error: {e:#}", req.method),
        };
    }
    let uri = format!("http://{base}{path}");
    let mut builder = ureq::http::Request::builder().method(req.method.as_str()).uri(&uri);
    for (k, v) in &req.headers {
        builder = builder.header(k, v);
    }
    let result = if let Some(n) = req.body_bytes {
        let body = ureq::SendBody::from_owned_reader(Pattern { left: n, next: 0 });
        builder.body(body).map_err(ureq::Error::from).and_then(|r| agent.run(r))
    } else if let Some(b) = &req.body {
        builder.body(b.clone()).map_err(ureq::Error::from).and_then(|r| agent.run(r))
    } else {
        builder.body(()).map_err(ureq::Error::from).and_then(|r| agent.run(r))
    };
    let mut resp = match result {
        Ok(r) => r,
        Err(e) => return format!("{} {path} → error: {e}", req.method),
    };
    let headers = resp
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    describe(req, &path, resp.status().as_u16(), headers, &mut resp.body_mut().as_reader(), &[])
}

/// The request's body as a reader: generated, given, or none.
fn request_body(req: &HttpRequest) -> Box<dyn Read + Send> {
    match (req.body_bytes, &req.body) {
        (Some(n), _) => Box::new(Pattern { left: n, next: 0 }),
        (None, Some(b)) => Box::new(std::io::Cursor::new(b.clone().into_bytes())),
        (None, None) => Box::new(std::io::empty()),
    }
}

/// An answer as comparable text: the status, the headers a handler controls, the body (or its
/// length and digest), then the trailers.
fn describe(
    req: &HttpRequest,
    path: &str,
    status: u16,
    headers: Vec<(String, String)>,
    body: &mut dyn Read,
    trailers: &[(String, String)],
) -> String {
    let mut out = format!("{} {path} → {status}\n", req.method);
    if req.status_only {
        return out;
    }
    // What the handler controls; framing (length, chunking), dates and keep-alive are the
    // host's business and legitimately differ. Hosts may keep repeated headers apart or join
    // them with ", ": compare them joined.
    let mut joined: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        if compared_header(&name) {
            joined.entry(name).or_default().push(value);
        }
    }
    for (k, vs) in joined {
        let sep = if k == "set-cookie" { " | " } else { ", " };
        out += &format!("{k}: {}\n", vs.join(sep));
    }
    let (mut digest, mut head, mut total) = (Sha256::new(), Vec::new(), 0usize);
    let mut buf = vec![0; 64 << 10];
    loop {
        match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                digest.update(&buf[..n]);
                if head.len() < INLINE_BODY + 1 {
                    head.extend_from_slice(&buf[..n.min(INLINE_BODY + 1 - head.len())]);
                }
                total += n;
            }
            Err(e) => {
                out += &format!("body error after {total} bytes: {e}\n");
                return out;
            }
        }
    }
    if total <= INLINE_BODY {
        out += &String::from_utf8_lossy(&head);
    } else {
        out += &format!("<{total} bytes, sha256 {:x}>\n", digest.finalize());
    }
    let mut trailers: Vec<String> =
        trailers.iter().map(|(k, v)| format!("trailer {}: {v}\n", k.to_ascii_lowercase())).collect();
    trailers.sort();
    out + &trailers.concat()
}

/// Sends every request of the case (copies of one request at once) and returns the answers.
fn exchange(case: &HttpCase, addr: SocketAddr, upstream: SocketAddr) -> Vec<Vec<String>> {
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        // Redirects are answers to compare, not to follow.
        .max_redirects(0)
        // A host without a request timeout (stock wasmtime serve) must not stall the run.
        .timeout_global(Some(Duration::from_secs(case.handler_timeout_secs + 15)))
        .build();
    let agent: ureq::Agent = config.into();
    case.request
        .iter()
        .map(|req| {
            std::thread::scope(|s| {
                let handles: Vec<_> =
                    (0..req.repeat.max(1)).map(|_| s.spawn(|| send(&agent, addr, upstream, req))).collect();
                handles.into_iter().map(|h| h.join().unwrap_or_else(|_| "client panicked".into())).collect()
            })
        })
        .collect()
}

/// The first request whose answers are not all the same, or whose status is not expected.
fn check_reference(case: &HttpCase, answers: &[Vec<String>]) -> Option<String> {
    for (req, got) in case.request.iter().zip(answers) {
        if let Some(first) = got.first() {
            if got.iter().any(|a| a != first) {
                return Some(format!("{} {}: concurrent copies answered differently", req.method, req.path));
            }
            if let Some(status) = req.expect_status {
                if !first.lines().next().is_some_and(|l| l.ends_with(&format!("→ {status}"))) {
                    return Some(format!("expected {status}: {}", first_line(first)));
                }
            }
            for name in &req.expect_no_header {
                let prefix = format!("{}: ", name.to_ascii_lowercase());
                if let Some(line) = first.lines().skip(1).find(|l| l.starts_with(&prefix)) {
                    return Some(format!("{}: expected no {name} header, got {line:?}", first_line(first)));
                }
            }
        }
    }
    None
}

fn compare(reference: &[Vec<String>], other: &[Vec<String>]) -> Option<String> {
    for (r, o) in reference.iter().zip(other) {
        for (a, b) in r.iter().zip(o) {
            if a != b {
                let (la, lb) = a.lines().zip(b.lines()).find(|(x, y)| x != y).unwrap_or((a.as_str(), b.as_str()));
                return Some(format!("{}: node {la:?}, here {lb:?}", first_line(a)));
            }
        }
    }
    None
}

impl Runner {
    /// Runs every HTTP case on every host.
    pub fn run_http(&self, cases: &[HttpCase]) -> Result<Vec<Row>> {
        let upstream = Upstream::start().context("starting the upstream server")?;
        let mut rows = Vec::new();
        for case in cases {
            let (toolchain, versions) = self.units_of(&case.guest, &case.versions)?;
            for version in versions {
                let start = Instant::now();
                let row = self.run_http_case(case, toolchain, &version, upstream.addr);
                eprintln!(
                    "conformance: {:<28} {:<10} {} ({:.1} s)",
                    case.name,
                    row.toolchain,
                    summary(&row),
                    start.elapsed().as_secs_f64()
                );
                rows.push(row);
            }
        }
        Ok(rows)
    }

    fn run_http_case(&self, case: &HttpCase, toolchain: &dyn Toolchain, version: &str, upstream: SocketAddr) -> Row {
        let mut row = Row::new(&case.capability, &case.name, toolchain.language(), &toolchain.label(version));
        let guest = match toolchain.build(&guest_dir(&case.guest), version) {
            Ok(g) => g,
            Err(e) => {
                for h in &self.hosts {
                    row.cells.insert(
                        *h,
                        cell(Status::Fail, format!("guest build failed: {}", first_line(&e.to_string())), None),
                    );
                }
                return row;
            }
        };
        let serve = ServeReference { handler_timeout: Duration::from_secs(case.handler_timeout_secs), env: &case.env };
        let reference = toolchain
            .serve_reference(&self.programs, &guest, &serve)
            .and_then(|cmd| Server::start(cmd, SERVING_MARKER))
            .map(|mut server| {
                let answers = exchange(case, server.addr, upstream);
                let log_problem = server.check_log(case, LOG_WAIT);
                let log = server.stop();
                (answers, log, log_problem)
            });
        let reference = match reference {
            Ok((answers, log, log_problem)) => {
                let problem = check_reference(case, &answers).or(log_problem);
                let detail = problem.clone().map(|p| format!("{p} (log: {})", first_line(&log))).unwrap_or_default();
                row.cells.insert(
                    HostKind::Node,
                    cell(if problem.is_some() { Status::Fail } else { Status::Pass }, detail, None),
                );
                Some(answers)
            }
            Err(e) => {
                row.cells.insert(HostKind::Node, cell(Status::Fail, first_line(&format!("{e:#}")), None));
                None
            }
        };
        for host in self.hosts.iter().copied().filter(|h| *h != HostKind::Node) {
            let c = match self.rewrite_as(&guest.wasm, rewrite_for(host, case)) {
                Err(refusal) => rewrite_failed(refusal),
                Ok(component) => match self.serve_rewritten(host, case, &component, upstream) {
                    Err(e) => cell(Status::Fail, first_line(&format!("{e:#}")), None),
                    Ok(mut server) => {
                        let answers = exchange(case, server.addr, upstream);
                        let log_problem = server.check_log(case, LOG_WAIT);
                        server.stop();
                        match (&reference, compare(reference.as_deref().unwrap_or_default(), &answers).or(log_problem))
                        {
                            (None, _) => cell(Status::Fail, "no reference run to compare with".into(), None),
                            (Some(_), None) => cell(Status::Pass, String::new(), None),
                            (Some(_), Some(d)) => cell(Status::Fail, d, None),
                        }
                    }
                },
            };
            row.cells.insert(host, c);
        }
        self.mark_known_failures(&mut row);
        row
    }

    /// The rewritten component on a WASI host, each with only its own standard flags: stock
    /// `wasmtime serve` gets the `--strict-proxy` build, which imports only the proxy world
    /// that serve links by default, and for a case that sets environment variables the default
    /// build with `-S cli` (which adds wasi:cli and wasi:filesystem); it has no request
    /// timeout. `wasm-server serve` gets the handler timeout and may call the test's upstream
    /// only. The two hosts cover
    /// both instance policies: wasmtime serve a fresh instance per request (its default),
    /// wasm-server instances reused across requests (`--max-instance-reuse-count`), so every
    /// case also runs in an instance that earlier requests (panics, timeouts) went through.
    fn serve_rewritten(
        &self,
        host: HostKind,
        case: &HttpCase,
        component: &Path,
        upstream: SocketAddr,
    ) -> Result<Server> {
        let mut cmd = match host {
            HostKind::Wasmtime => {
                let mut cmd = Command::new(&self.programs.wasmtime);
                cmd.arg("serve").arg("--addr").arg("127.0.0.1:0");
                if rewrite_for(host, case) == Rewrite::Default {
                    cmd.arg("-S").arg("cli");
                }
                if !case.kv.is_empty() {
                    // Its in-memory wasi:keyvalue (only the store named "", fresh per request).
                    cmd.arg("-S").arg("keyvalue");
                }
                for (k, v) in &case.env {
                    cmd.arg("--env").arg(format!("{k}={v}"));
                }
                cmd.arg(component);
                cmd
            }
            HostKind::WasmServer => {
                let Some(server) = &self.programs.wasm_server else { bail!("wasm-server is not built") };
                let mut cmd = Command::new(server);
                cmd.arg("serve").arg(component).arg("--listen").arg("127.0.0.1:0");
                cmd.arg("--timeout").arg(format!("{}s", case.handler_timeout_secs));
                // The 50 MB body cases: above wasm-server's 16M default request-body limit.
                cmd.arg("--max-body").arg("64M");
                cmd.arg("--allow-outbound").arg(format!("http://{upstream}"));
                cmd.arg("--max-instance-reuse-count").arg("1000");
                if !case.kv.is_empty() {
                    // A fresh, empty store for every run of the case.
                    let data = self.out.join("work").join(format!("kv-{}", case.name));
                    let _ = std::fs::remove_dir_all(&data);
                    std::fs::create_dir_all(&data)?;
                    cmd.arg("--data-dir").arg(&data);
                    for store in &case.kv {
                        cmd.arg("--kv").arg(store);
                    }
                }
                for (k, v) in &case.env {
                    cmd.arg("--env").arg(format!("{k}={v}"));
                }
                cmd
            }
            HostKind::Node => unreachable!("node serves the unrewritten module"),
        };
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(crate::hosts::host_process_env());
        Server::start(cmd, SERVING_MARKER)
    }
}

/// Which build of the guest a host serves: stock `wasmtime serve` links only the
/// wasi:http/proxy world unless told `-S cli`, so it serves the `--strict-proxy` build, except
/// for a case that passes environment variables (only the default build reads them).
fn rewrite_for(host: HostKind, case: &HttpCase) -> Rewrite {
    if host == HostKind::Wasmtime && case.env.is_empty() {
        Rewrite::StrictProxy
    } else {
        Rewrite::Default
    }
}
