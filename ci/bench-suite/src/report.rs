//! Benchmark results: a table on stdout (with ratios against the group's baseline) and JSON.

use serde::Serialize;
use std::fmt::Write as _;

/// One measured configuration.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub name: String,
    /// Measurements by metric name (`wall_ms`, `peak_rss_mib`, `requests_per_s`, …).
    pub metrics: serde_json::Map<String, serde_json::Value>,
    /// Ratios of this row's metrics to the baseline row's (same metric names).
    pub ratios: serde_json::Map<String, serde_json::Value>,
    /// Free-form detail (command, sizes, goals).
    pub note: String,
}

/// A group of rows measured in one run against one baseline.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub name: String,
    pub baseline: String,
    pub rows: Vec<Row>,
    /// Goals stated by the issues, with whether this run met them.
    pub goals: Vec<Goal>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Goal {
    pub text: String,
    pub met: bool,
    pub measured: String,
}

impl Group {
    pub fn new(name: &str, baseline: &str) -> Group {
        Group { name: name.into(), baseline: baseline.into(), rows: Vec::new(), goals: Vec::new() }
    }

    pub fn push(&mut self, name: &str, metrics: &[(&str, f64)], note: impl Into<String>) {
        let metrics = metrics.iter().map(|(k, v)| (k.to_string(), serde_json::json!(round(*v)))).collect();
        self.rows.push(Row { name: name.into(), metrics, ratios: Default::default(), note: note.into() });
    }

    pub fn goal(&mut self, text: impl Into<String>, met: bool, measured: impl Into<String>) {
        self.goals.push(Goal { text: text.into(), met, measured: measured.into() });
    }

    /// The value of `metric` in row `name`.
    pub fn metric(&self, name: &str, metric: &str) -> Option<f64> {
        self.rows.iter().find(|r| r.name == name)?.metrics.get(metric)?.as_f64()
    }

    /// Fills every row's ratios against the baseline row.
    pub fn compute_ratios(&mut self) {
        let Some(base) = self.rows.iter().find(|r| r.name == self.baseline).cloned() else { return };
        for row in &mut self.rows {
            for (k, v) in &row.metrics {
                if let (Some(v), Some(b)) = (v.as_f64(), base.metrics.get(k).and_then(|b| b.as_f64())) {
                    if b != 0.0 {
                        row.ratios.insert(k.clone(), serde_json::json!(round(v / b)));
                    }
                }
            }
        }
    }

    pub fn to_table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "\n## {} (ratios against {})", self.name, self.baseline);
        let mut metrics: Vec<&String> = Vec::new();
        for r in &self.rows {
            for k in r.metrics.keys() {
                if !metrics.contains(&k) {
                    metrics.push(k);
                }
            }
        }
        let width = self.rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
        let _ = write!(s, "{:<width$}", "name");
        for m in &metrics {
            let _ = write!(s, " | {:>14} | {:>7}", m, "ratio");
        }
        let _ = writeln!(s);
        for r in &self.rows {
            let _ = write!(s, "{:<width$}", r.name);
            for m in &metrics {
                let v = r.metrics.get(*m).and_then(|v| v.as_f64()).map_or("-".into(), |v| format!("{v:.2}"));
                let ratio = r.ratios.get(*m).and_then(|v| v.as_f64()).map_or("-".into(), |v| format!("{v:.2}x"));
                let _ = write!(s, " | {v:>14} | {ratio:>7}");
            }
            let _ = writeln!(s);
        }
        for r in self.rows.iter().filter(|r| !r.note.is_empty()) {
            let _ = writeln!(s, "  {}: {}", r.name, r.note);
        }
        for g in &self.goals {
            let _ =
                writeln!(s, "  goal {}: {} (measured {})", if g.met { "met" } else { "NOT met" }, g.text, g.measured);
        }
        s
    }
}

fn round(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}
