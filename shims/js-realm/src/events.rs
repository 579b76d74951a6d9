//! The parts of a JS event loop every flavour shares; the flavour's shim turns them into its
//! own loop (Go: `lifecycle.next-event`, see shims/gojs/src/events.rs):
//! - a callback queue: functions to call later, in order (node's completions, promise
//!   reactions, stream pulls), each with an optional native continuation that receives the
//!   result. A native callback runs here ([`run_native`]); a guest function is handed back to
//!   the shim, which runs the guest.
//! - timers: ids counted from 1, a deadline each; a timer that fired stays known until it is
//!   cleared (wasm_exec.js resumes Go again, with a warning, while it is not);
//! - host waiters: work the loop waits for beside the timers (a fetch's answer, a body's next
//!   bytes, room for a body's bytes), each with the WASI pollables it waits on ([`block`]).
//!
//! Reactions run from the callback queue, not a separate microtask queue: no guest on the
//! realm can tell the two apart (each runs to completion before the next event).

use std::collections::VecDeque;

use wasip2::io::poll::Pollable;

use crate::host::Host;
use crate::sys;
use crate::value::{JsResult, NativeFn, Obj, Value};

/// What to do with a queued function's result once it has run: `f(host, &data, [result,
/// threw])`. For a guest function that is after the guest ran it (Go: after `resume`, with
/// `event.result`).
pub type Continuation = (NativeFn, Value);

/// node's largest setTimeout delay; anything outside [1, MAX] becomes 1 ms.
const TIMEOUT_MAX: i64 = 2_147_483_647;

/// A function to call from the loop.
pub struct Queued {
    pub f: Obj,
    pub args: Vec<Value>,
    pub then: Option<Continuation>,
}

#[derive(Default)]
pub struct Events {
    callbacks: VecDeque<Queued>,
    timers: Vec<Timer>,
    next_timer_id: i32,
    waiters: Vec<Box<dyn Waiter>>,
    /// A guest function a native constructor wants run synchronously, before `new` returns
    /// (`new Promise(executor)` with the guest's executor): the guest id and the arguments. The
    /// shim that called the constructor runs it (Go: as a synchronous call of a Go function).
    pub deferred_guest_call: Option<(u32, Vec<Value>)>,
}

struct Timer {
    id: i32,
    /// Monotonic nanoseconds.
    deadline: u64,
    /// Not yet fired (a fired timer stays until it is cleared).
    armed: bool,
}

/// Work the loop waits for beside the timers. (`Any`: whoever made a waiter can find it again
/// among the others, see [`Events::take_waiters`].)
pub trait Waiter: std::any::Any {
    /// What to wait on (the waiter is ready when one of them is); None when there is nothing
    /// to wait for any more (what it waited for has ended meanwhile): it runs at once.
    fn pollables(&self, host: &mut dyn Host) -> Option<Vec<Pollable>>;
    /// Continues the work (it may queue callbacks, or wait again).
    fn run(self: Box<Self>, host: &mut dyn Host);
}

impl Events {
    pub fn new() -> Events {
        Events { next_timer_id: 1, ..Default::default() }
    }

    // ---- the callback queue ----

    /// Calls `f(...args)` later, from the event loop (node's asynchronous callbacks).
    pub fn queue_callback(&mut self, f: Obj, args: Vec<Value>) {
        self.callbacks.push_back(Queued { f, args, then: None });
    }

    /// Calls `f(...args)` later, then `then` with its result.
    pub fn queue_call_then(&mut self, f: Obj, args: Vec<Value>, then: Continuation) {
        self.callbacks.push_back(Queued { f, args, then: Some(then) });
    }

    /// The next queued call, oldest first.
    pub fn next_callback(&mut self) -> Option<Queued> {
        self.callbacks.pop_front()
    }

    // ---- timers ----

    /// `setTimeout(…, delay_ms)`'s timer (the action is the caller's): its id.
    pub fn schedule_timeout(&mut self, delay_ms: i64) -> i32 {
        let delay = if (1..=TIMEOUT_MAX).contains(&delay_ms) { delay_ms } else { 1 };
        let id = self.next_timer_id;
        self.next_timer_id = id.wrapping_add(1);
        let deadline = sys::monotonic_now().saturating_add(delay as u64 * 1_000_000);
        self.timers.push(Timer { id, deadline, armed: true });
        id
    }

    /// `clearTimeout(id)`: the timer is forgotten, fired or not.
    pub fn clear_timeout(&mut self, id: i32) {
        self.timers.retain(|t| t.id != id);
    }

    /// Whether timer `id` is still known (not cleared).
    pub fn has_timer(&self, id: i32) -> bool {
        self.timers.iter().any(|t| t.id == id)
    }

    /// Forgets every timer.
    pub fn clear_timers(&mut self) {
        self.timers.clear();
    }

    fn earliest_armed(&self) -> Option<(usize, u64)> {
        self.timers
            .iter()
            .enumerate()
            .filter(|(_, t)| t.armed)
            .min_by_key(|(_, t)| (t.deadline, t.id))
            .map(|(i, t)| (i, t.deadline))
    }

    /// When the earliest timer that has not fired is due (monotonic nanoseconds).
    pub fn next_deadline(&self) -> Option<u64> {
        self.earliest_armed().map(|(_, deadline)| deadline)
    }

    /// The earliest timer due by `now`, marked fired (it stays known until cleared).
    pub fn fire_due(&mut self, now: u64) -> Option<i32> {
        let (i, deadline) = self.earliest_armed()?;
        if deadline > now {
            return None;
        }
        let t = &mut self.timers[i];
        t.armed = false;
        Some(t.id)
    }

    // ---- host waiters ----

    /// Waits for `waiter` beside the timers (see [`block`]).
    pub fn wait_for(&mut self, waiter: Box<dyn Waiter>) {
        self.waiters.push(waiter);
    }

    /// Whether host work is in flight.
    pub fn waiting(&self) -> bool {
        !self.waiters.is_empty()
    }

    /// Removes and returns the waiters `pred` picks (a fetch's, when its signal aborts).
    pub fn take_waiters(&mut self, mut pred: impl FnMut(&dyn Waiter) -> bool) -> Vec<Box<dyn Waiter>> {
        let (taken, kept) = std::mem::take(&mut self.waiters).into_iter().partition(|w| pred(&**w));
        self.waiters = kept;
        taken
    }
}

/// Runs a queued call of a native function (with its bound data as `this`), then its
/// continuation with `[result, threw]`.
pub fn run_native(host: &mut dyn Host, f: &Obj, native: NativeFn, args: &[Value], then: Option<Continuation>) {
    let this = f.bound().unwrap_or_default();
    let result: JsResult = native(host, &this, args);
    if let Some((then, data)) = then {
        let threw = result.is_err();
        let _ = then(host, &data, &[result.unwrap_or_else(|e| e), Value::Bool(threw)]);
    }
}

/// Blocks until the earliest timer is due, stdin is readable (if `stdin`: a read of it waits)
/// or a host waiter is ready; then runs the ready waiters (their continuations queue callbacks
/// or hand the guest its answers).
pub fn block(host: &mut dyn Host, stdin: bool) {
    let waiters = std::mem::take(&mut host.js().events.waiters);
    let pollables: Vec<Option<Vec<Pollable>>> = waiters.iter().map(|w| w.pollables(host)).collect();
    // A waiter with nothing to wait for runs now, without blocking.
    if pollables.iter().all(Option::is_some) {
        let set: Vec<&Pollable> = pollables.iter().flatten().flatten().collect();
        sys::wait(host.js().events.next_deadline(), stdin, &set);
    }
    for (waiter, pollables) in waiters.into_iter().zip(pollables) {
        if pollables.as_ref().is_none_or(|ps| ps.iter().any(Pollable::ready)) {
            // A pollable goes before the resource it is a child of.
            drop(pollables);
            waiter.run(host);
        } else {
            host.js().events.waiters.push(waiter);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_fire_in_deadline_order_and_stay_until_cleared() {
        let mut e = Events::new();
        let a = e.schedule_timeout(30);
        let b = e.schedule_timeout(1);
        assert_eq!((a, b), (1, 2));
        let c = e.schedule_timeout(-5); // clamped to 1 ms
        e.clear_timeout(c);
        let far = u64::MAX;
        assert_eq!(e.fire_due(far), Some(b));
        assert!(e.has_timer(b), "fired, not cleared");
        assert_eq!(e.fire_due(far), Some(a), "a fired timer does not fire again");
        assert_eq!(e.fire_due(far), None);
        e.clear_timeout(a);
        e.clear_timeout(b);
        assert!(e.next_deadline().is_none());
        assert_eq!(e.fire_due(0), None);
    }
}
