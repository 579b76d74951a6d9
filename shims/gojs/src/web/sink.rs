//! Writing to a `wasi:http` output stream (a response body, a fetch's request body) without
//! blocking: what the stream takes now is written, the rest waits in the event loop beside Go's
//! timers (web::wait), as node's `res.write` queues what the socket does not take and says
//! "drain" later. A blocking write instead freezes Go while a client does not read its answer,
//! or an upstream its request: a handler's deadline, a ticker, every other goroutine.

use wasip2::io::streams::{OutputStream, StreamError};

/// Bytes taken for a stream and not all written yet.
#[derive(Default)]
pub struct Unsent {
    bytes: Vec<u8>,
    /// How many of `bytes` are written.
    at: usize,
}

impl Unsent {
    pub fn new(bytes: Vec<u8>) -> Unsent {
        Unsent { bytes, at: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.at == self.bytes.len()
    }

    /// Queues `bytes` after what is left.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.is_empty() {
            // A new buffer: the last one may have been a large chunk's.
            *self = Unsent::new(bytes.to_vec());
        } else {
            self.bytes.extend_from_slice(bytes);
        }
    }

    /// The bytes (written or not), for a caller that needs them again (a redirect resends a
    /// fetch's body).
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Writes what `stream` takes now. True once every byte is written and flushed (the
    /// stream accepts more again); false when the stream's pollable must be waited on first.
    pub fn write_now(&mut self, stream: &OutputStream) -> Result<bool, StreamError> {
        loop {
            // 0 while the host's buffer is full or a flush is still in progress.
            let room = stream.check_write()?;
            if room == 0 {
                return Ok(false);
            }
            if self.is_empty() {
                return Ok(true);
            }
            let end = self.bytes.len().min(self.at.saturating_add(usize::try_from(room).unwrap_or(usize::MAX)));
            stream.write(&self.bytes[self.at..end])?;
            self.at = end;
            if self.is_empty() {
                // As blocking-write-and-flush does: the bytes leave the stream's buffer; the
                // next check-write says when they have.
                stream.flush()?;
            }
        }
    }
}
