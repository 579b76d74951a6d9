//! Guest stdout/stderr during `serve`: whole lines, each prefixed by the app and request id
//! (`[hello #42] ...`), written to the server's own stdout/stderr. Lines of concurrent requests
//! never interleave mid-line; a last unterminated line is written when the request ends.

use bytes::Bytes;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

#[derive(Clone, Copy)]
pub enum Target {
    Stdout,
    Stderr,
}

#[derive(Clone)]
pub struct LogStream {
    target: Target,
    app: Arc<str>,
    /// The request being served, shared with the clones the WASI context holds, so a reused
    /// instance's lines name the request it is serving now. The prefix is made only when a
    /// line is written (most requests write none).
    request: Arc<AtomicU64>,
    pending: Arc<Mutex<Vec<u8>>>,
}

/// Longest partial line kept before it is written anyway.
const MAX_PENDING: usize = 16 << 10;

impl LogStream {
    /// Lines of request `request` of `app`.
    pub fn new(target: Target, app: Arc<str>, request: u64) -> LogStream {
        LogStream { target, app, request: Arc::new(AtomicU64::new(request)), pending: Default::default() }
    }

    /// Names the request an instance serves next (after writing what is left of the last one).
    pub fn set_request(&self, request: u64) {
        self.finish();
        self.request.store(request, Ordering::Relaxed);
    }

    fn emit(&self, lines: &[u8]) {
        let mut out = Vec::with_capacity(lines.len() + 32);
        let prefix = format!("[{} #{}] ", self.app, self.request.load(Ordering::Relaxed));
        for line in lines.split_inclusive(|b| *b == b'\n') {
            out.extend_from_slice(prefix.as_bytes());
            out.extend_from_slice(line);
        }
        if out.last() != Some(&b'\n') {
            out.push(b'\n');
        }
        let _ = match self.target {
            Target::Stdout => std::io::stdout().lock().write_all(&out),
            Target::Stderr => std::io::stderr().lock().write_all(&out),
        };
    }

    fn push(&self, bytes: &[u8]) {
        let mut pending = self.pending.lock().unwrap();
        pending.extend_from_slice(bytes);
        match pending.iter().rposition(|b| *b == b'\n') {
            Some(end) => {
                let rest = pending.split_off(end + 1);
                let lines = std::mem::replace(&mut *pending, rest);
                drop(pending);
                self.emit(&lines);
            }
            None if pending.len() > MAX_PENDING => {
                let lines = std::mem::take(&mut *pending);
                drop(pending);
                self.emit(&lines);
            }
            None => {}
        }
    }

    /// Writes what is left of an unterminated last line.
    pub fn finish(&self) {
        let rest = std::mem::take(&mut *self.pending.lock().unwrap());
        if !rest.is_empty() {
            self.emit(&rest);
        }
    }
}

impl IsTerminal for LogStream {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for LogStream {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl OutputStream for LogStream {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.push(&bytes);
        Ok(())
    }
    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }
    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(1 << 20)
    }
}

#[async_trait::async_trait]
impl Pollable for LogStream {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for LogStream {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.push(buf);
        std::task::Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}
