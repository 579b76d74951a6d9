//! Host work the event loop waits for beside Go's timers, as node's loop waits for sockets and
//! timers at once: fetches whose response head has not come (or whose request body the
//! upstream has not taken all of), reads of `wasi:http` bodies (a request's, a fetched
//! response's) whose next bytes have not come, and a response body the client has not taken
//! all of. Blocking in the read, the write or the fetch instead would freeze Go's timers: a
//! handler's deadline (`context.WithTimeout`, a client timeout) could not fire while a client
//! stalls or an upstream is slow.

use super::fetch::{self, InFlight, Leftover};
use super::stream::{self, StreamRef};
use crate::shim::Shim;
use crate::sys;
use wasip2::io::poll::Pollable;

pub enum Waiter {
    /// A stream over a `wasi:http` body whose pull found nothing yet.
    Stream(StreamRef),
    /// A fetch in flight.
    Fetch(InFlight),
    /// The rest of a request body, going out after its fetch was answered.
    Upload(Leftover),
    /// The response body's bytes the client has not taken yet (the Workers path: the body
    /// stream is read on once they are written).
    Response,
    /// The direct path: a pull (of at most `max` bytes) of request `id`'s body that the client
    /// has sent nothing more for yet.
    DirectPull { id: u32, max: u32 },
    /// The direct path: the rest of request `id`'s body chunk, which the client has not taken
    /// yet (Go's writer waits for DELIVER_SENT).
    DirectSend { id: u32 },
}

impl Waiter {
    /// What to wait on (it is ready when one of them is); None when there is nothing to wait
    /// for any more (a stream cancelled meanwhile): it runs at once.
    fn pollables(&self, shim: &Shim) -> Option<Vec<Pollable>> {
        match self {
            Waiter::Stream(s) => stream::host_pollable(s).map(|p| vec![p]),
            Waiter::Fetch(f) => Some(f.subscribe()),
            Waiter::Upload(l) => Some(vec![l.subscribe()]),
            Waiter::Response => shim.http_pump_pollable().map(|p| vec![p]),
            Waiter::DirectPull { id, .. } => shim.direct_pull_pollable(*id).map(|p| vec![p]),
            Waiter::DirectSend { id } => shim.direct_send_pollable(*id).map(|p| vec![p]),
        }
    }

    fn run(self, shim: &mut Shim) {
        match self {
            Waiter::Stream(s) => stream::host_ready(shim, &s),
            Waiter::Fetch(f) => fetch::progress(shim, f),
            Waiter::Upload(l) => l.progress(shim),
            Waiter::Response => shim.http_body_writable(),
            Waiter::DirectPull { id, max } => shim.direct_pull_ready(id, max),
            Waiter::DirectSend { id } => shim.direct_send_ready(id),
        }
    }
}

/// Blocks until Go's earliest timer is due, stdin is readable (if `stdin`: a read of it waits)
/// or a host waiter is ready; then runs the ready waiters (their continuations queue callbacks
/// or deliveries for Go).
pub fn block(shim: &mut Shim, stdin: bool) {
    let waiters = std::mem::take(&mut shim.events.host_waits);
    let pollables: Vec<Option<Vec<Pollable>>> = waiters.iter().map(|w| w.pollables(shim)).collect();
    // A waiter with nothing to wait for runs now, without blocking.
    if pollables.iter().all(Option::is_some) {
        let set: Vec<&Pollable> = pollables.iter().flatten().flatten().collect();
        sys::wait(shim.events.next_deadline(), stdin, &set);
    }
    for (waiter, pollables) in waiters.into_iter().zip(pollables) {
        if pollables.as_ref().is_none_or(|ps| ps.iter().any(Pollable::ready)) {
            // A pollable goes before the resource it is a child of.
            drop(pollables);
            waiter.run(shim);
        } else {
            shim.events.host_waits.push(waiter);
        }
    }
}
