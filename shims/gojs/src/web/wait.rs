//! Host work the event loop waits for beside Go's timers, as node's loop waits for sockets and
//! timers at once: fetches whose response head has not come, and reads of `wasi:http` bodies
//! (a request's, a fetched response's) whose next bytes have not come. Blocking in the read or
//! the fetch instead would freeze Go's timers: a handler's deadline (`context.WithTimeout`, a
//! client timeout) could not fire while a client stalls mid-upload or an upstream is slow.

use super::fetch::{self, InFlight};
use super::stream::{self, StreamRef};
use crate::shim::Shim;
use crate::sys;
use wasip2::io::poll::Pollable;

pub enum Waiter {
    /// A stream over a `wasi:http` body whose pull found nothing yet.
    Stream(StreamRef),
    /// A fetch in flight.
    Fetch(InFlight),
}

impl Waiter {
    /// What to wait on; None when there is nothing to wait for any more (a stream cancelled
    /// meanwhile): it runs at once.
    fn pollable(&self) -> Option<Pollable> {
        match self {
            Waiter::Stream(s) => stream::host_pollable(s),
            Waiter::Fetch(f) => Some(f.subscribe()),
        }
    }

    fn run(self, shim: &mut Shim) {
        match self {
            Waiter::Stream(s) => stream::host_ready(shim, &s),
            Waiter::Fetch(f) => fetch::answered(shim, f),
        }
    }
}

/// Blocks until `also` is ready (if given), Go's earliest timer is due, stdin is readable (if
/// `stdin`: a read of it waits) or a host waiter is ready; then runs the ready waiters (their
/// continuations queue callbacks for Go).
pub fn block(shim: &mut Shim, also: Option<&Pollable>, stdin: bool) {
    let waiters = std::mem::take(&mut shim.events.host_waits);
    let pollables: Vec<Option<Pollable>> = waiters.iter().map(Waiter::pollable).collect();
    // A waiter with nothing to wait for runs now, without blocking.
    if pollables.iter().all(Option::is_some) {
        let set: Vec<&Pollable> = also.into_iter().chain(pollables.iter().flatten()).collect();
        sys::wait(shim.events.next_deadline(), stdin, &set);
    }
    for (waiter, pollable) in waiters.into_iter().zip(pollables) {
        if pollable.as_ref().is_none_or(Pollable::ready) {
            // A pollable goes before the resource it is a child of.
            drop(pollable);
            waiter.run(shim);
        } else {
            shim.events.host_waits.push(waiter);
        }
    }
}
