//! Writing to a `wasi:http` output stream (a response body, a fetch's request body) without
//! blocking: what the stream takes now is written, the rest waits in the event loop beside the
//! guest's timers (js_realm::events), as node's `res.write` queues what the socket does not
//! take and says "drain" later. A blocking write instead freezes the guest while a client does
//! not read its answer, or an upstream its request: a handler's deadline, a ticker, every
//! other goroutine.

use wasip2::io::streams::{OutputStream, StreamError};

/// Writes what `stream` takes now of `bytes` (flushing once all of them are written): how
/// many it took.
pub fn write_some(stream: &OutputStream, bytes: &[u8]) -> Result<usize, StreamError> {
    let mut written = 0;
    while written < bytes.len() {
        // 0 while the host's buffer is full or a flush is still in progress.
        let room = stream.check_write()?;
        if room == 0 {
            break;
        }
        let end = bytes.len().min(written.saturating_add(usize::try_from(room).unwrap_or(usize::MAX)));
        stream.write(&bytes[written..end])?;
        written = end;
        if written == bytes.len() {
            // As blocking-write-and-flush does: the bytes leave the stream's buffer; the
            // next check-write says when they have (see `flushed`).
            stream.flush()?;
        }
    }
    Ok(written)
}

/// Everything written to `stream` has left it (its last flush has completed).
pub fn flushed(stream: &OutputStream) -> Result<bool, StreamError> {
    Ok(stream.check_write()? > 0)
}

/// Bytes handed over for a stream that it has not taken yet.
#[derive(Default)]
pub struct Unsent {
    bytes: Vec<u8>,
    /// How many of `bytes` are written.
    at: usize,
}

impl Unsent {
    pub fn is_empty(&self) -> bool {
        self.at == self.bytes.len()
    }

    /// Writes `bytes` after what is left, as far as `stream` takes them now (straight from
    /// `bytes`: only what it does not take is copied). True once all are written and flushed;
    /// false when the stream's pollable must be waited on first (then `write_now`).
    pub fn send(&mut self, stream: &OutputStream, bytes: &[u8]) -> Result<bool, StreamError> {
        if !self.is_empty() {
            self.bytes.extend_from_slice(bytes);
            return self.write_now(stream);
        }
        let n = write_some(stream, bytes)?;
        if n < bytes.len() {
            *self = Unsent { bytes: bytes[n..].to_vec(), at: 0 };
            return Ok(false);
        }
        flushed(stream)
    }

    /// Writes what `stream` takes now of what is left; true as for `send`.
    pub fn write_now(&mut self, stream: &OutputStream) -> Result<bool, StreamError> {
        if !self.is_empty() {
            self.at += write_some(stream, &self.bytes[self.at..])?;
            if !self.is_empty() {
                return Ok(false);
            }
            // Drained: a large chunk's buffer is not kept.
            *self = Unsent::default();
        }
        flushed(stream)
    }
}
