//! Shared by the integration tests: guests built from `runtimes/tests/guests/`, the
//! `wasm-server` binary started on a free loopback port, and a small real HTTP client.
//!
//! Nothing here asserts on timing: limits in tests are generous and waits are bounded only to
//! turn a hang into a failure.

#![allow(dead_code)]

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A guest component of `runtimes/tests/guests/NAME`, built for wasm32-wasip2.
pub fn guest(name: &str) -> PathBuf {
    testkit::guests::cargo_wasm(name, "wasm32-wasip2").unwrap_or_else(|e| panic!("building guest {name}: {e:#}"))
}

/// The command guest built for wasm32-wasip1: a preview1 core module.
pub fn command_p1() -> PathBuf {
    testkit::guests::cargo_wasm("command", "wasm32-wasip1")
        .unwrap_or_else(|e| panic!("building command for wasip1: {e:#}"))
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_wasm-server"))
}

/// `XDG_CACHE_HOME` of the tests: the precompiled-module cache is shared by the tests of this
/// run and is never the user's.
pub fn xdg_cache() -> PathBuf {
    testkit::tools::scratch_dir("wasm-server-test-xdg")
}

/// `wasm-server ARGS` with the test cache.
pub fn command(args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.args(args).env("XDG_CACHE_HOME", xdg_cache()).env_remove("RUST_LOG");
    c
}

/// Runs `wasm-server ARGS` to completion (at most 2 minutes).
pub fn run(args: &[&str]) -> testkit::process::Outcome {
    testkit::process::run(&mut command(args), None, Duration::from_secs(120)).expect("run wasm-server")
}

/// A `wasm-server serve` child process, killed when dropped.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    /// Everything the server wrote to stderr so far.
    pub stderr: Arc<Mutex<String>>,
    pub stdout: Arc<Mutex<String>>,
}

fn drain(
    r: impl std::io::Read + Send + 'static,
    into: Arc<Mutex<String>>,
    addr: Option<std::sync::mpsc::Sender<SocketAddr>>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            if let (Some(tx), Some(rest)) = (&addr, line.strip_prefix("Serving HTTP on http://")) {
                if let Ok(a) = rest.trim_end_matches('/').parse() {
                    let _ = tx.send(a);
                }
            }
            let mut s = into.lock().unwrap();
            s.push_str(&line);
            s.push('\n');
        }
    });
}

impl Server {
    /// Starts `wasm-server serve --listen 127.0.0.1:0 ARGS` and waits for its address.
    pub fn start(args: &[&str]) -> Server {
        Server::start_in(args, None)
    }

    pub fn start_in(args: &[&str], dir: Option<&Path>) -> Server {
        let mut cmd = command(&["serve", "--listen", "127.0.0.1:0"]);
        cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        if let Some(d) = dir {
            cmd.current_dir(d);
        }
        let mut child = cmd.spawn().expect("start wasm-server serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let stdout = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        drain(child.stderr.take().unwrap(), stderr.clone(), Some(tx));
        drain(child.stdout.take().unwrap(), stdout.clone(), None);
        // Loading compiles the guests on a cold cache: allow for a slow machine.
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            if let Ok(addr) = rx.recv_timeout(Duration::from_millis(100)) {
                return Server { child, addr, stderr, stdout };
            }
            if let Ok(Some(status)) = child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                panic!("wasm-server serve exited ({status}) before listening:\n{}", stderr.lock().unwrap());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("wasm-server serve did not print its address:\n{}", stderr.lock().unwrap());
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// Sends `signal` and waits (bounded) for the exit status.
    pub fn stop(&mut self, signal: i32) -> std::process::ExitStatus {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as i32, signal) };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(s)) = self.child.try_wait() {
                return s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("wasm-server did not stop after signal {signal}:\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response, read whole.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: String,
}

/// One HTTP/1.1 request on a new loopback connection (bounded by 60 s).
pub async fn request(addr: SocketAddr, method: &str, path: &str, host: Option<&str>, body: &[u8]) -> Reply {
    let work = async {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("handshake");
        tokio::spawn(conn);
        let req = http::Request::builder()
            .method(method)
            .uri(path)
            .header("host", host.map_or_else(|| addr.to_string(), String::from))
            .body(Full::new(Bytes::copy_from_slice(body)))
            .unwrap();
        let resp = sender.send_request(req).await.expect("send request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        Reply { status, headers, body: String::from_utf8_lossy(&body).into_owned() }
    };
    tokio::time::timeout(Duration::from_secs(60), work).await.expect("request took over 60 s")
}

pub async fn get(addr: SocketAddr, path: &str) -> Reply {
    request(addr, "GET", path, None, b"").await
}

/// Asserts that the `/metrics` text has every line (or line start) in `needles`.
pub fn assert_metrics(metrics: &str, needles: &[&str]) {
    for needle in needles {
        assert!(metrics.contains(needle), "metrics lack {needle}:\n{metrics}");
    }
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Copies the guest `name` into `dir` as `file`.
pub fn copy_guest(name: &str, dir: &Path, file: &str) {
    std::fs::copy(guest(name), dir.join(file)).unwrap();
}

/// A Redis server of our own on a free loopback port in a temporary folder, stopped on drop.
pub struct Redis {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Redis {
    pub fn start() -> Redis {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is not installed (ci/setup installs it: apt-get install redis-server)");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Redis { child, port, _dir: dir }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
