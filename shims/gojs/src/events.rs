//! The event loop node and wasm_exec.js run around Go, driven by the guest's
//! `while next-event() { resume() }`:
//! - callbacks (fs completions) are queued and handed to Go one at a time as `_pendingEvent`
//!   (what `_makeFuncWrapper`'s function does before `_resume()`);
//! - timers (`scheduleTimeoutEvent`) resume Go with no event when due; if Go has not cleared
//!   the timer afterwards, wasm_exec.js warns "missed timeout event" and resumes again;
//! - stdin reads wait for input without blocking timers;
//! - when nothing is left, node's exit hook sends `{id: 0}` so Go reports the deadlock.
//!
//! Each turn, a due timer goes first (node's timers phase), then stdin, then queued callbacks,
//! then a resume for goroutines the direct HTTP path made runnable; with none ready the loop
//! sleeps until the earliest timer, stdin input or (serving HTTP) host work in flight: a
//! fetch's answer, a body's next bytes, room for a body's bytes.
//!
//! The queue, the timers and the waiting are the shared realm's (js_realm::events); what is
//! Go's here is how they meet Go: `_pendingEvent`, the missed-timeout warning, the deadlock
//! probe, stdin reads, and synchronous calls of Go functions.

use std::collections::VecDeque;

use crate::fs::errors::FsError;
use crate::shim::Shim;
use js_realm::events::{self, Continuation};
use js_realm::{sys, Callable, Obj, Value};

/// Go's side of the event loop.
#[derive(Default)]
pub struct Events {
    /// The event handed to Go for a queued call that has a continuation.
    awaiting: Option<(Obj, Continuation)>,
    /// Serving HTTP (gojs-proxy): idling with nothing pending is normal, so no deadlock probe.
    pub serving: bool,
    /// The timer whose firing the previous `next-event` reported.
    fired: Option<i32>,
    /// Events handed to Go by a synchronous call (valueCall/valueInvoke/valueNew on a Go
    /// function), innermost last; `take-callback-result` pops one.
    sync_calls: Vec<SyncCall>,
    stdin_reads: VecDeque<StdinRead>,
    deadlock_probe_sent: bool,
    /// Go has goroutines to run that no JS event stands for: the direct HTTP path handed it a
    /// request or a delivery of the request body, took a body chunk its writer waits on, has
    /// an answer to a record that waited (`http.direct-next`), or cancelled a request. The
    /// next `next-event` resumes Go.
    pub go_runnable: bool,
    /// What the loop does when it runs dry while serving (set by `http.init`; a function
    /// pointer so that a command shim links none of the serving code).
    pub on_idle: Option<fn(&mut Shim)>,
}

struct SyncCall {
    event: Obj,
    /// `new f()`: the object `this` was, returned unless `f` returns an object.
    construct: Option<Value>,
}

struct StdinRead {
    buffer: Obj,
    offset: usize,
    length: usize,
    callback: Obj,
}

impl Shim {
    /// `{ id, this, args }`, the event object `_makeFuncWrapper`'s function builds.
    fn event_object(&self, id: u32, this: Value, args: Vec<Value>) -> Obj {
        let realm = &self.js.realm;
        let ev = realm.object();
        ev.set("id", Value::Number(id as f64));
        ev.set("this", this);
        ev.set("args", realm.array(args).into());
        ev
    }

    fn set_pending_event(&self, ev: Value) {
        self.go.set("_pendingEvent", ev);
    }

    /// Calls `f(...args)` later, then `then` with its result.
    pub fn queue_call_then(&mut self, f: Obj, args: Vec<Value>, then: Continuation) {
        self.js.events.queue_call_then(f, args, then);
    }

    /// A synchronous call of a Go function: hands Go the event; the caller resumes Go and
    /// then asks `take_callback_result`.
    pub fn call_go(&mut self, id: u32, this: Value, args: Vec<Value>, construct: Option<Value>) {
        let event = self.event_object(id, this, args);
        self.set_pending_event(event.clone().into());
        self.events.sync_calls.push(SyncCall { event, construct });
    }

    /// `event.result` of the innermost synchronous Go call (undefined when there is none).
    pub fn take_callback_result(&mut self) -> Value {
        let Some(call) = self.events.sync_calls.pop() else {
            return Value::Undefined;
        };
        let result = call.event.get("result");
        match (call.construct, &result) {
            (Some(this), r) if !matches!(r, Value::Object(_)) => this,
            _ => result,
        }
    }

    /// runtime.scheduleTimeoutEvent: `setTimeout(…, delay)`; ids count from 1.
    pub fn schedule_timeout(&mut self, delay_ms: i64) -> i32 {
        self.js.events.schedule_timeout(delay_ms)
    }

    /// runtime.clearTimeoutEvent: `clearTimeout` and forget the id.
    pub fn clear_timeout(&mut self, id: i32) {
        self.js.events.clear_timeout(id)
    }

    /// fs.read on stdin: completes now if input is there, else when the loop sees it.
    pub fn read_stdin(&mut self, buffer: Obj, offset: usize, length: usize, callback: Obj) {
        let req = StdinRead { buffer, offset, length, callback };
        if self.events.stdin_reads.is_empty() && sys::stdin_ready() {
            self.finish_stdin_read(req);
        } else {
            self.events.stdin_reads.push_back(req);
        }
    }

    fn finish_stdin_read(&mut self, req: StdinRead) {
        let args = match sys::stdin_read(req.length) {
            Ok(data) => {
                let n = crate::fs::copy_into(&req.buffer, req.offset, &data);
                vec![Value::Null, Value::Number(n as f64), req.buffer.into()]
            }
            Err(code) => vec![FsError::new(code, "read").to_js(self)],
        };
        self.queue_callback(req.callback, args);
    }

    /// lifecycle.next-event: see the module comment. True: Go's `resume` must run.
    pub fn next_event(&mut self) -> bool {
        if self.http.go_exited {
            // Only the shim's own work (a response body it is still sending) can go on.
            self.js.events.clear_timers();
            self.events.fired = None;
            self.events.stdin_reads.clear();
            self.events.go_runnable = false;
        }
        if let Some((event, (then, data))) = self.events.awaiting.take() {
            let result = event.get("result");
            let _ = then(self, &data, &[result, Value::Bool(false)]);
        }
        if let Some(id) = self.events.fired.take() {
            if self.js.events.has_timer(id) {
                // wasm_exec.js: "for some reason Go failed to register the timeout event".
                let _ = sys::write_stderr(b"scheduleTimeoutEvent: missed timeout event\n");
                self.events.fired = Some(id);
                return true;
            }
        }
        loop {
            // Any resume runs every runnable goroutine: a due timer or a queued callback goes
            // first (the direct HTTP path makes Go runnable on every record it answers, and
            // must not starve them), then a resume with no event for `go_runnable`.
            let deadline = self.js.events.next_deadline();
            if deadline.is_some_and(|d| d <= sys::monotonic_now()) {
                if let Some(id) = self.js.events.fire_due(u64::MAX) {
                    self.events.fired = Some(id);
                    self.events.go_runnable = false;
                    return true;
                }
            }
            if !self.events.stdin_reads.is_empty() && sys::stdin_ready() {
                if let Some(req) = self.events.stdin_reads.pop_front() {
                    self.finish_stdin_read(req);
                }
            }
            if let Some(q) = self.js.events.next_callback() {
                match q.f.callable() {
                    // wasm_exec.js: "Go program has already exited"; nothing can run it.
                    Some(Callable::Guest(_)) if self.http.go_exited => {}
                    Some(Callable::Guest(g)) => {
                        let ev = self.event_object(g.id, Value::Undefined, q.args);
                        self.set_pending_event(ev.clone().into());
                        if let Some(then) = q.then {
                            self.events.awaiting = Some((ev, then));
                        }
                        self.events.go_runnable = false;
                        return true;
                    }
                    // A shim function used as a callback runs here; nothing to resume.
                    Some(Callable::Native(native)) => events::run_native(self, &q.f, native, &q.args, q.then),
                    None => {}
                }
                continue;
            }
            if std::mem::take(&mut self.events.go_runnable) {
                // `_pendingEvent` is null: Go's resume runs its goroutines and no callback.
                return true;
            }
            let waiting_stdin = !self.events.stdin_reads.is_empty();
            if self.js.events.waiting() {
                events::block(self, waiting_stdin);
                continue;
            }
            if deadline.is_some() || waiting_stdin {
                sys::wait(deadline, waiting_stdin, &[]);
                continue;
            }
            if self.events.serving {
                // An HTTP handler idles between requests. A request still in progress now
                // waits on something that will never happen (a handler blocked forever, a
                // stream nobody feeds): it ends here, with an error response if none was sent.
                // Either way the call returns now (the generated handle's loop can end here
                // rather than at in-progress): the request's body goes.
                if let Some(on_idle) = self.events.on_idle {
                    on_idle(self);
                }
                return false;
            }
            if !self.events.deadlock_probe_sent {
                // wasm_exec_node.js's process.on("exit"): `go._pendingEvent = { id: 0 }`.
                self.events.deadlock_probe_sent = true;
                let probe = self.js.realm.object();
                probe.set("id", Value::Number(0.0));
                self.set_pending_event(probe.into());
                return true;
            }
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::shim::Shim;
    use js_realm::sys::Startup as Host;
    use js_realm::value::to_js_string;
    use js_realm::{Obj, Value};

    fn go_func(s: &Shim, id: u32) -> Obj {
        crate::go::func(&s.js.realm, id)
    }

    fn pending(shim: &Shim) -> Value {
        shim.go.get("_pendingEvent")
    }

    #[test]
    fn callbacks_in_order_then_deadlock_probe_then_done() {
        let mut s = Shim::new(Host::for_tests(&["app"], &[]));
        assert!(matches!(pending(&s), Value::Null), "_pendingEvent starts as null");
        s.queue_callback(go_func(&s, 7), vec![Value::Null, Value::Number(3.0)]);
        s.queue_callback(go_func(&s, 8), vec![Value::str("x")]);
        assert!(s.next_event());
        let ev = pending(&s);
        assert_eq!(to_js_string(&ev.get("id")), "7");
        assert!(matches!(ev.get("this"), Value::Undefined));
        assert_eq!(to_js_string(&ev.get("args")), ",3");
        s.go.set("_pendingEvent", Value::Null); // what Go's handleEvent does
        assert!(s.next_event());
        assert_eq!(to_js_string(&pending(&s).get("id")), "8");
        assert!(s.next_event());
        assert_eq!(to_js_string(&pending(&s).get("id")), "0");
        assert!(!s.next_event());
        assert!(!s.next_event());
    }

    #[test]
    fn timers_fire_in_deadline_order_and_warn_when_not_cleared() {
        let mut s = Shim::new(Host::for_tests(&["app"], &[]));
        let a = s.schedule_timeout(30);
        let b = s.schedule_timeout(1);
        assert_eq!((a, b), (1, 2));
        let c = s.schedule_timeout(-5); // clamped to 1 ms
        s.clear_timeout(c);
        assert!(s.next_event()); // sleeps ~1 ms, fires b
        assert_eq!(s.events.fired, Some(b));
        // Go did not clear b: resume again (with a warning), until it does.
        assert!(s.next_event());
        assert_eq!(s.events.fired, Some(b));
        s.clear_timeout(b);
        assert!(s.next_event()); // sleeps until a
        assert_eq!(s.events.fired, Some(a));
        s.clear_timeout(a);
        assert!(s.next_event()); // deadlock probe
        assert!(!s.next_event());
    }

    #[test]
    fn runnable_go_does_not_starve_callbacks() {
        let mut s = Shim::new(Host::for_tests(&["app"], &[]));
        s.events.serving = true;
        // The direct HTTP path makes Go runnable while a callback is queued: the callback's
        // resume goes first and runs the goroutines too, so no second resume follows.
        s.queue_callback(go_func(&s, 7), vec![]);
        s.events.go_runnable = true;
        assert!(s.next_event());
        assert_eq!(to_js_string(&pending(&s).get("id")), "7");
        assert!(!s.events.go_runnable);
        s.go.set("_pendingEvent", Value::Null);
        // Runnable with nothing queued: a resume with no event.
        s.events.go_runnable = true;
        assert!(s.next_event());
        assert!(matches!(pending(&s), Value::Null));
        // Serving, nothing left: idle (no deadlock probe).
        assert!(!s.next_event());
    }

    #[test]
    fn synchronous_go_calls_nest() {
        let mut s = Shim::new(Host::for_tests(&["app"], &[]));
        s.call_go(1, Value::Undefined, vec![], None);
        let outer = pending(&s);
        let this = Value::Object(s.js.realm.object());
        s.call_go(2, Value::Undefined, vec![], Some(this.clone()));
        pending(&s).as_object().unwrap().set("result", Value::Number(5.0));
        outer.as_object().unwrap().set("result", Value::str("outer"));
        // new f() returning a non-object yields `this`.
        assert!(
            matches!(s.take_callback_result(), Value::Object(o) if Value::Object(o.clone()).get("x").is_nullish() && o.same(this.as_object().unwrap()))
        );
        assert_eq!(to_js_string(&s.take_callback_result()), "outer");
        assert!(matches!(s.take_callback_result(), Value::Undefined));
    }
}
