//! The WASI 0.2 calls the realm and the shims make outside `wasi:filesystem` (which a
//! flavour's file system uses directly): clocks, entropy, stdio streams, environment, exit. On
//! the host (unit tests) the same functions are backed by std so the logic above them runs
//! natively.

/// A node errno name (`err.code`), as Go's `syscall.errnoByCode` knows it.
pub type Errno = &'static str;

/// What the component was started with.
pub struct Startup {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// `wasi:cli/environment.initial-cwd`.
    pub initial_cwd: Option<String>,
    /// Preopened directories and the guest paths they are mounted at.
    pub preopens: Vec<(wasip2::filesystem::types::Descriptor, String)>,
}

impl Startup {
    /// Arguments and environment without preopens: for tests (also other crates' tests).
    pub fn for_tests(args: &[&str], env: &[(&str, &str)]) -> Startup {
        Startup {
            args: args.iter().map(|s| s.to_string()).collect(),
            env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            initial_cwd: None,
            preopens: Vec::new(),
        }
    }

    pub fn var(&self, key: &str) -> Option<&str> {
        self.env.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

pub use imp::*;

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::{Errno, Startup};
    use std::cell::OnceCell;
    use wasip2::cli::{
        environment, exit as wasi_exit, stderr, stdin, stdout, terminal_stderr, terminal_stdin, terminal_stdout,
    };
    use wasip2::clocks::{monotonic_clock, wall_clock};
    use wasip2::io::poll;
    use wasip2::io::streams::{InputStream, OutputStream, StreamError};

    thread_local! {
        static STDIN: OnceCell<InputStream> = const { OnceCell::new() };
        static STDOUT: OnceCell<OutputStream> = const { OnceCell::new() };
        static STDERR: OnceCell<OutputStream> = const { OnceCell::new() };
    }

    pub fn startup() -> Startup {
        Startup {
            args: environment::get_arguments(),
            env: environment::get_environment(),
            initial_cwd: environment::initial_cwd(),
            preopens: wasip2::filesystem::preopens::get_directories(),
        }
    }

    #[inline]
    pub fn monotonic_now() -> u64 {
        monotonic_clock::now()
    }

    /// Wall-clock time: (seconds, nanoseconds) since the epoch.
    #[inline]
    pub fn wall_now() -> (u64, u32) {
        let d = wall_clock::now();
        (d.seconds, d.nanoseconds)
    }

    pub fn random_bytes(len: usize) -> Vec<u8> {
        // Hosts may cap one call (wasmtime's max-random-size); ask in chunks.
        const CHUNK: usize = 1 << 16;
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            let n = (len - out.len()).min(CHUNK);
            out.extend_from_slice(&wasip2::random::random::get_random_bytes(n as u64));
        }
        out.truncate(len);
        out
    }

    /// Ends the component with `code` (its low 8 bits, as a POSIX exit status).
    pub fn exit(code: i32) -> ! {
        if code == 0 {
            wasi_exit::exit(Ok(()));
        } else {
            // `exit(Err(()))` would report 1 for every failure; Go's codes (2 for a panic or
            // deadlock) need `exit-with-code`.
            wasi_exit::exit_with_code(code as u8);
        }
        std::process::abort()
    }

    pub fn write_stdout(bytes: &[u8]) -> Result<(), Errno> {
        STDOUT.with(|s| write_all(s.get_or_init(stdout::get_stdout), bytes))
    }

    pub fn write_stderr(bytes: &[u8]) -> Result<(), Errno> {
        STDERR.with(|s| write_all(s.get_or_init(stderr::get_stderr), bytes))
    }

    /// Writes everything, as much per call as the host accepts, then flushes.
    fn write_all(out: &OutputStream, mut bytes: &[u8]) -> Result<(), Errno> {
        while !bytes.is_empty() {
            let n = out.check_write().map_err(stream_errno)?;
            if n == 0 {
                out.subscribe().block();
                continue;
            }
            let k = (n as usize).min(bytes.len());
            out.write(&bytes[..k]).map_err(stream_errno)?;
            bytes = &bytes[k..];
        }
        out.blocking_flush().map_err(stream_errno)
    }

    fn stream_errno(e: StreamError) -> Errno {
        match e {
            StreamError::Closed => "EPIPE",
            StreamError::LastOperationFailed(_) => "EIO",
        }
    }

    fn with_stdin<R>(f: impl FnOnce(&InputStream) -> R) -> R {
        STDIN.with(|s| f(s.get_or_init(stdin::get_stdin)))
    }

    /// Whether a stdin read would not block (data, end of file or an error is there).
    pub fn stdin_ready() -> bool {
        with_stdin(|s| s.subscribe().ready())
    }

    /// Up to `len` bytes of stdin; empty at end of file. Blocks until something is there.
    pub fn stdin_read(len: usize) -> Result<Vec<u8>, Errno> {
        with_stdin(|s| match s.blocking_read(len as u64) {
            Ok(b) => Ok(b),
            Err(StreamError::Closed) => Ok(Vec::new()),
            Err(StreamError::LastOperationFailed(_)) => Err("EIO"),
        })
    }

    /// Blocks until monotonic time `deadline` (if any), until stdin is readable (if `stdin`)
    /// or until one of `also` is ready.
    pub fn wait(deadline: Option<u64>, stdin: bool, also: &[&poll::Pollable]) {
        let timer = deadline.map(monotonic_clock::subscribe_instant);
        let input = stdin.then(|| with_stdin(|s| s.subscribe()));
        let set: Vec<&poll::Pollable> = also.iter().copied().chain(timer.iter()).chain(input.iter()).collect();
        if !set.is_empty() {
            poll::poll(&set);
        }
    }

    pub fn is_terminal(fd: i32) -> bool {
        match fd {
            0 => terminal_stdin::get_terminal_stdin().is_some(),
            1 => terminal_stdout::get_terminal_stdout().is_some(),
            2 => terminal_stderr::get_terminal_stderr().is_some(),
            _ => false,
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    //! std stand-ins so the shim's logic runs in native unit tests.
    use super::{Errno, Startup};
    use std::io::{Read, Write};
    use std::time::{Instant, SystemTime, UNIX_EPOCH};

    #[allow(dead_code)]
    pub fn startup() -> Startup {
        Startup {
            args: std::env::args().collect(),
            env: std::env::vars().collect(),
            initial_cwd: None,
            preopens: Vec::new(),
        }
    }

    pub fn monotonic_now() -> u64 {
        thread_local!(static ORIGIN: Instant = Instant::now());
        ORIGIN.with(|o| o.elapsed().as_nanos() as u64 + 1_000_000_000)
    }

    pub fn wall_now() -> (u64, u32) {
        let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        (d.as_secs(), d.subsec_nanos())
    }

    pub fn random_bytes(len: usize) -> Vec<u8> {
        // Tests only check lengths; a fixed pattern keeps them dependency-free.
        (0..len).map(|i| (i * 131 + 7) as u8).collect()
    }

    pub fn exit(code: i32) -> ! {
        std::process::exit(code)
    }

    pub fn write_stdout(bytes: &[u8]) -> Result<(), Errno> {
        std::io::stdout().write_all(bytes).map_err(|_| "EIO")
    }

    pub fn write_stderr(bytes: &[u8]) -> Result<(), Errno> {
        std::io::stderr().write_all(bytes).map_err(|_| "EIO")
    }

    pub fn stdin_ready() -> bool {
        true
    }

    pub fn stdin_read(len: usize) -> Result<Vec<u8>, Errno> {
        let mut b = vec![0; len];
        let n = std::io::stdin().read(&mut b).map_err(|_| "EIO")?;
        b.truncate(n);
        Ok(b)
    }

    pub fn wait(deadline: Option<u64>, _stdin: bool, _also: &[&wasip2::io::poll::Pollable]) {
        if let Some(d) = deadline {
            let now = monotonic_now();
            if d > now {
                std::thread::sleep(std::time::Duration::from_nanos(d - now));
            }
        }
    }

    pub fn is_terminal(_fd: i32) -> bool {
        false
    }
}
