//! Time as wasm_exec.js sees it: `runtime.nanotime1` is `(timeOrigin + performance.now()) * 1e6`
//! (wall-clock origin, monotonic progress), `runtime.walltime` is `Date.now()` split into
//! seconds and nanoseconds (millisecond resolution), and the `performance` global.

use crate::host::Host;
use crate::realm::Realm;
use crate::sys;
use crate::value::{JsResult, Value};

pub struct Clock {
    /// Monotonic reading at start-up (`performance.timeOrigin`).
    origin_mono: u64,
    /// Wall-clock nanoseconds since the epoch at that moment.
    origin_wall_ns: i64,
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::new()
    }
}

impl Clock {
    pub fn new() -> Clock {
        let origin_mono = sys::monotonic_now();
        let (s, ns) = sys::wall_now();
        Clock { origin_mono, origin_wall_ns: (s as i64).saturating_mul(1_000_000_000).saturating_add(ns as i64) }
    }

    /// Monotonic nanoseconds since start-up.
    #[inline]
    fn elapsed_ns(&self) -> u64 {
        sys::monotonic_now().saturating_sub(self.origin_mono)
    }

    /// `runtime.nanotime1`: never goes backwards, reads like wall-clock nanoseconds.
    #[inline]
    pub fn nanotime(&self) -> i64 {
        self.origin_wall_ns.saturating_add(self.elapsed_ns() as i64)
    }

    /// `performance.now()`: fractional milliseconds since start-up.
    #[inline]
    pub fn performance_now(&self) -> f64 {
        self.elapsed_ns() as f64 / 1e6
    }

    /// `Date.now()` as a float of whole milliseconds (what `new Date()` holds).
    pub fn wall_ms(&self) -> f64 {
        let (s, ns) = sys::wall_now();
        (s as f64) * 1000.0 + (ns / 1_000_000) as f64
    }

    /// `runtime.walltime`: `msec = new Date().getTime()`; `(msec / 1000, (msec % 1000) * 1e6)`.
    #[inline]
    pub fn walltime(&self) -> (i64, i32) {
        let (s, ns) = sys::wall_now();
        (s as i64, ((ns / 1_000_000) * 1_000_000) as i32)
    }
}

/// `performance`: `now()` is all Go (and wasm_exec.js) uses.
pub fn install(realm: &Realm) {
    let perf = realm.object().with_label("performance");
    realm.method(&perf, "now", performance_now);
    realm.global.set("performance", perf.into());
}

fn performance_now(host: &mut dyn Host, _this: &Value, _args: &[Value]) -> JsResult {
    Ok(Value::Number(host.js().clock.performance_now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nanotime_is_wall_clock_shaped_and_monotonic() {
        let c = Clock::new();
        let a = c.nanotime();
        let b = c.nanotime();
        assert!(b >= a);
        let (s, _) = sys::wall_now();
        assert!((a / 1_000_000_000 - s as i64).abs() <= 1);
        let (ws, wns) = c.walltime();
        assert!(ws >= s as i64 && wns % 1_000_000 == 0);
    }
}
