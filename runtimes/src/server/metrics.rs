//! Counters behind `GET /metrics` (Prometheus text format 0.0.4): requests by app and status,
//! a latency histogram, guest failures by reason, live instances. Plain atomics: recording a
//! request costs three increments (its status, its latency bucket, the count) and an add.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

/// Why a guest did not answer normally (the `reason` label of `wasm_server_guest_failures_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Failure {
    Trap,
    Memory,
    Cpu,
    Timeout,
    Busy,
    NoResponse,
}

impl Failure {
    pub fn label(self) -> &'static str {
        match self {
            Failure::Trap => "trap",
            Failure::Memory => "memory",
            Failure::Cpu => "cpu",
            Failure::Timeout => "timeout",
            Failure::Busy => "busy",
            Failure::NoResponse => "no_response",
        }
    }
}

/// Status codes counted without a lock (100–599: every code hyper sends in practice).
const COMMON_STATUSES: std::ops::Range<u16> = 100..600;

pub struct AppMetrics {
    /// Requests by status: the common codes in `common` (index `status - 100`), any other in
    /// `other`.
    common: Box<[AtomicU64]>,
    other: Mutex<BTreeMap<u16, u64>>,
    failures: Mutex<BTreeMap<Failure, u64>>,
    /// Requests whose latency fell in each bucket (not cumulative: one increment a request;
    /// `render` sums them up to each bound).
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
    live: AtomicI64,
    abandoned: AtomicU64,
    /// Instances created, and the time spent creating them.
    instantiations: AtomicU64,
    instantiate_micros: AtomicU64,
    /// Calls of the guest's handler in a fresh instance and in a reused one, and their time:
    /// the difference of the means is what the guest's start-up costs a request.
    handled: [AtomicU64; 2],
    handle_micros: [AtomicU64; 2],
}

impl Default for AppMetrics {
    fn default() -> AppMetrics {
        AppMetrics {
            common: COMMON_STATUSES.map(|_| AtomicU64::new(0)).collect(),
            other: Default::default(),
            failures: Default::default(),
            buckets: Default::default(),
            count: Default::default(),
            sum_micros: Default::default(),
            live: Default::default(),
            abandoned: Default::default(),
            instantiations: Default::default(),
            instantiate_micros: Default::default(),
            handled: Default::default(),
            handle_micros: Default::default(),
        }
    }
}

impl AppMetrics {
    pub fn record(&self, status: u16, latency: Duration) {
        if COMMON_STATUSES.contains(&status) {
            self.common[usize::from(status - COMMON_STATUSES.start)].fetch_add(1, Relaxed);
        } else {
            *self.other.lock().unwrap().entry(status).or_default() += 1;
        }
        let secs = latency.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|le| secs <= *le) {
            self.buckets[i].fetch_add(1, Relaxed);
        }
        self.count.fetch_add(1, Relaxed);
        self.sum_micros.fetch_add(latency.as_micros() as u64, Relaxed);
    }

    pub fn instantiated(&self, took: Duration) {
        self.instantiations.fetch_add(1, Relaxed);
        self.instantiate_micros.fetch_add(took.as_micros() as u64, Relaxed);
    }

    /// A call of the guest's handler that returned (in a reused instance or a fresh one).
    pub fn handled(&self, reused: bool, took: Duration) {
        self.handled[reused as usize].fetch_add(1, Relaxed);
        self.handle_micros[reused as usize].fetch_add(took.as_micros() as u64, Relaxed);
    }

    pub fn failure(&self, f: Failure) {
        *self.failures.lock().unwrap().entry(f).or_default() += 1;
    }

    /// A request whose client went away before the answer (its guest was stopped).
    pub fn abandoned(&self) {
        self.abandoned.fetch_add(1, Relaxed);
    }

    /// Counts a live instance until the guard drops.
    pub fn live_instance(self: &std::sync::Arc<Self>) -> LiveGuard {
        self.live.fetch_add(1, Relaxed);
        LiveGuard(self.clone())
    }

    pub fn live(&self) -> i64 {
        self.live.load(Relaxed)
    }

    /// Requests by status code, in code order (codes never answered left out).
    fn statuses(&self) -> Vec<(u16, u64)> {
        let common =
            COMMON_STATUSES.zip(self.common.iter()).map(|(code, n)| (code, n.load(Relaxed))).filter(|(_, n)| *n > 0);
        let mut all: Vec<_> = common.chain(self.other.lock().unwrap().iter().map(|(c, n)| (*c, *n))).collect();
        all.sort_unstable();
        all
    }
}

pub struct LiveGuard(std::sync::Arc<AppMetrics>);

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.0.live.fetch_sub(1, Relaxed);
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// The exposition text for all apps (apps in name order).
pub fn render<'a>(apps: impl Iterator<Item = (&'a str, &'a AppMetrics)> + Clone) -> String {
    let mut s = String::new();
    s.push_str("# HELP wasm_server_requests_total HTTP requests answered, by app and status code.\n");
    s.push_str("# TYPE wasm_server_requests_total counter\n");
    for (name, m) in apps.clone() {
        for (status, n) in m.statuses() {
            let _ = writeln!(s, "wasm_server_requests_total{{app=\"{}\",status=\"{status}\"}} {n}", escape(name));
        }
    }
    s.push_str("# HELP wasm_server_request_duration_seconds Time from request to response headers.\n");
    s.push_str("# TYPE wasm_server_request_duration_seconds histogram\n");
    for (name, m) in apps.clone() {
        let app = escape(name);
        let mut below = 0;
        for (le, n) in BUCKETS.iter().zip(&m.buckets) {
            below += n.load(Relaxed);
            let _ = writeln!(s, "wasm_server_request_duration_seconds_bucket{{app=\"{app}\",le=\"{le}\"}} {below}");
        }
        // A request recorded while this renders may be in its bucket and not yet in the count.
        let count = m.count.load(Relaxed).max(below);
        let _ = writeln!(s, "wasm_server_request_duration_seconds_bucket{{app=\"{app}\",le=\"+Inf\"}} {count}");
        let _ = writeln!(
            s,
            "wasm_server_request_duration_seconds_sum{{app=\"{app}\"}} {}",
            m.sum_micros.load(Relaxed) as f64 / 1e6
        );
        let _ = writeln!(s, "wasm_server_request_duration_seconds_count{{app=\"{app}\"}} {count}");
    }
    s.push_str("# HELP wasm_server_guest_failures_total Requests whose guest trapped, hit a limit, timed out, found the app busy or sent no response.\n");
    s.push_str("# TYPE wasm_server_guest_failures_total counter\n");
    for (name, m) in apps.clone() {
        for (f, n) in m.failures.lock().unwrap().iter() {
            let _ = writeln!(
                s,
                "wasm_server_guest_failures_total{{app=\"{}\",reason=\"{}\"}} {n}",
                escape(name),
                f.label()
            );
        }
    }
    s.push_str("# HELP wasm_server_traps_total Requests whose guest trapped (including memory and CPU limits).\n");
    s.push_str("# TYPE wasm_server_traps_total counter\n");
    for (name, m) in apps.clone() {
        let f = m.failures.lock().unwrap();
        let n: u64 = [Failure::Trap, Failure::Memory, Failure::Cpu].iter().filter_map(|k| f.get(k)).sum();
        let _ = writeln!(s, "wasm_server_traps_total{{app=\"{}\"}} {n}", escape(name));
    }
    s.push_str("# HELP wasm_server_instantiations_total Instances created (one per request unless the app reuses instances).\n");
    s.push_str("# TYPE wasm_server_instantiations_total counter\n");
    for (name, m) in apps.clone() {
        let _ = writeln!(
            s,
            "wasm_server_instantiations_total{{app=\"{}\"}} {}",
            escape(name),
            m.instantiations.load(Relaxed)
        );
    }
    s.push_str("# HELP wasm_server_instantiation_seconds_total Time spent creating instances.\n");
    s.push_str("# TYPE wasm_server_instantiation_seconds_total counter\n");
    for (name, m) in apps.clone() {
        let _ = writeln!(
            s,
            "wasm_server_instantiation_seconds_total{{app=\"{}\"}} {}",
            escape(name),
            m.instantiate_micros.load(Relaxed) as f64 / 1e6
        );
    }
    s.push_str("# HELP wasm_server_guest_calls_total Calls of the guest's handler that returned, in a fresh or a reused instance.\n");
    s.push_str("# TYPE wasm_server_guest_calls_total counter\n");
    for (name, m) in apps.clone() {
        for (i, kind) in ["fresh", "reused"].iter().enumerate() {
            let _ = writeln!(
                s,
                "wasm_server_guest_calls_total{{app=\"{}\",instance=\"{kind}\"}} {}",
                escape(name),
                m.handled[i].load(Relaxed)
            );
        }
    }
    s.push_str("# HELP wasm_server_guest_call_seconds_total Time in the guest's handler (start-up included in a fresh instance).\n");
    s.push_str("# TYPE wasm_server_guest_call_seconds_total counter\n");
    for (name, m) in apps.clone() {
        for (i, kind) in ["fresh", "reused"].iter().enumerate() {
            let _ = writeln!(
                s,
                "wasm_server_guest_call_seconds_total{{app=\"{}\",instance=\"{kind}\"}} {}",
                escape(name),
                m.handle_micros[i].load(Relaxed) as f64 / 1e6
            );
        }
    }
    s.push_str("# HELP wasm_server_requests_abandoned_total Requests whose client went away before the answer; their guest was stopped.\n");
    s.push_str("# TYPE wasm_server_requests_abandoned_total counter\n");
    for (name, m) in apps.clone() {
        let _ = writeln!(
            s,
            "wasm_server_requests_abandoned_total{{app=\"{}\"}} {}",
            escape(name),
            m.abandoned.load(Relaxed)
        );
    }
    s.push_str("# HELP wasm_server_live_instances Instances running a request now.\n");
    s.push_str("# TYPE wasm_server_live_instances gauge\n");
    for (name, m) in apps {
        let _ = writeln!(s, "wasm_server_live_instances{{app=\"{}\"}} {}", escape(name), m.live());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_render_cumulative_and_statuses_in_code_order() {
        let m = AppMetrics::default();
        m.record(404, Duration::from_micros(300));
        m.record(200, Duration::from_micros(300));
        m.record(200, Duration::from_millis(3));
        m.record(999, Duration::from_secs(9));
        let text = render([("app", &m)].into_iter());
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        let requests: Vec<&str> =
            lines.iter().copied().filter(|l| l.starts_with("wasm_server_requests_total")).collect();
        assert_eq!(
            requests,
            [
                "wasm_server_requests_total{app=\"app\",status=\"200\"} 2",
                "wasm_server_requests_total{app=\"app\",status=\"404\"} 1",
                "wasm_server_requests_total{app=\"app\",status=\"999\"} 1",
            ]
        );
        let bucket = |le: &str| {
            let prefix = format!("wasm_server_request_duration_seconds_bucket{{app=\"app\",le=\"{le}\"}} ");
            lines.iter().find_map(|l| l.strip_prefix(prefix.as_str())).unwrap().to_string()
        };
        assert_eq!(bucket("0.0005"), "2");
        assert_eq!(bucket("0.001"), "2");
        assert_eq!(bucket("0.005"), "3");
        assert_eq!(bucket("5"), "3");
        assert_eq!(bucket("+Inf"), "4");
    }
}
