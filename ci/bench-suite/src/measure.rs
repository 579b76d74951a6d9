//! Repeated runs of a command and their medians.

use anyhow::{bail, Result};
use serde::Serialize;
use std::process::Command;
use std::time::Duration;
use testkit::process::{run, Outcome};

/// Medians over `runs` runs of one command (after `warmup` unrecorded runs).
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub runs: usize,
    pub wall_ms_median: f64,
    pub wall_ms_min: f64,
    pub wall_ms_max: f64,
    pub peak_rss_mib_median: f64,
}

pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Runs `make()`'s command `warmup + runs` times; every run must exit 0.
pub fn sample(make: impl Fn() -> Command, warmup: usize, runs: usize) -> Result<Sample> {
    let mut walls = Vec::with_capacity(runs);
    let mut rss = Vec::with_capacity(runs);
    for i in 0..warmup + runs {
        let outcome = run(&mut make(), None, Duration::from_secs(300))?;
        check(&make(), &outcome)?;
        if i >= warmup {
            walls.push(outcome.wall.as_secs_f64() * 1000.0);
            rss.push(outcome.peak_rss as f64 / (1024.0 * 1024.0));
        }
    }
    let min = walls.iter().copied().fold(f64::INFINITY, f64::min);
    let max = walls.iter().copied().fold(0.0, f64::max);
    Ok(Sample {
        runs,
        wall_ms_median: median(&mut walls),
        wall_ms_min: min,
        wall_ms_max: max,
        peak_rss_mib_median: median(&mut rss),
    })
}

fn check(cmd: &Command, outcome: &Outcome) -> Result<()> {
    if outcome.code != Some(0) {
        bail!("benchmark command {cmd:?} failed ({}):\n{}", outcome.status_line(), outcome.stderr_str());
    }
    Ok(())
}
