//! Running guests' hosts as child processes: captured output, exit code, a wall-clock limit,
//! and the child's peak RSS (from `wait4`), which benchmarks report.

use anyhow::{Context, Result};
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// What a finished (or killed) child left behind.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Exit code; `None` when killed by a signal (see `signal`) or by the time limit.
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
    pub wall: Duration,
    /// Peak resident set size of the child in bytes.
    pub peak_rss: u64,
}

impl Outcome {
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
    /// A one-line description of how the child ended, for messages.
    pub fn status_line(&self) -> String {
        match (self.timed_out, self.code, self.signal) {
            (true, _, _) => format!("killed after the {:?} limit", self.wall),
            (_, Some(c), _) => format!("exit code {c}"),
            (_, None, Some(s)) => format!("killed by signal {s}"),
            _ => "unknown end".into(),
        }
    }
}

/// Runs `cmd` to completion with stdin closed (or fed `stdin`), killing it after `limit`.
pub fn run(cmd: &mut Command, stdin: Option<&[u8]>, limit: Duration) -> Result<Outcome> {
    let desc = format!("{cmd:?}");
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().with_context(|| format!("starting {desc}"))?;
    let pid = child.id() as libc::pid_t;

    let feeder = stdin.map(|bytes| {
        let mut pipe = child.stdin.take().expect("stdin piped");
        let bytes = bytes.to_vec();
        std::thread::spawn(move || {
            use std::io::Write;
            let _ = pipe.write_all(&bytes);
        })
    });
    // Drain both pipes on threads so a chatty child never blocks on a full pipe.
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("stdout piped")));
    let err = drain(Box::new(child.stderr.take().expect("stderr piped")));

    // A watchdog kills the child at the limit; the main thread blocks in wait4 so that wall
    // time is exact (no polling granularity in benchmark figures).
    let (cancel, cancelled) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if cancelled.recv_timeout(limit).is_err() {
            // SAFETY: plain kill of our own, not yet reaped child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            return true;
        }
        false
    });
    let (status, rusage) = loop {
        let mut status = 0;
        let mut rusage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: pid is our child; status and rusage are valid out-pointers.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut rusage) };
        if r == pid {
            break (ExitStatus::from_raw(status), rusage);
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e).with_context(|| format!("waiting for {desc}"));
        }
    };
    let _ = cancel.send(());
    let timed_out = watchdog.join().unwrap_or(false);
    let wall = start.elapsed();
    if let Some(f) = feeder {
        let _ = f.join();
    }
    Ok(Outcome {
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        code: status.code(),
        signal: status.signal(),
        timed_out,
        wall,
        peak_rss: (rusage.ru_maxrss as u64) * 1024,
    })
}

/// Runs a build step and fails with its stderr when it does not exit 0.
pub fn check(cmd: &mut Command, what: &str) -> Result<Outcome> {
    let outcome = run(cmd, None, Duration::from_secs(1800))?;
    if outcome.code != Some(0) {
        anyhow::bail!("{what} failed ({}):\n{}{}", outcome.status_line(), outcome.stdout_str(), outcome.stderr_str());
    }
    Ok(outcome)
}
