//! The hosts a case runs on: the guest's native reference host (node with the toolchain's own
//! glue; each toolchain runs its own, see `toolchains`) and the WASI hosts that run the
//! rewritten guest (stock wasmtime, our wasm-server), which are the same for every language.

use anyhow::Result;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use testkit::process::{run, Outcome};

/// Which host a column of the matrix is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostKind {
    /// The guest, unmodified, on its toolchain's native host (node with the toolchain's glue):
    /// the reference.
    Node,
    /// The rewritten guest on the stock wasmtime CLI.
    Wasmtime,
    /// The rewritten guest on the reference host (`wasm-server run`).
    WasmServer,
}

impl HostKind {
    pub fn label(self) -> &'static str {
        match self {
            HostKind::Node => "node (native glue)",
            HostKind::Wasmtime => "wasmtime (rewritten)",
            HostKind::WasmServer => "wasm-server (rewritten)",
        }
    }
    pub fn parse(s: &str) -> Option<HostKind> {
        match s {
            "node" => Some(HostKind::Node),
            "wasmtime" => Some(HostKind::Wasmtime),
            "wasm-server" => Some(HostKind::WasmServer),
            _ => None,
        }
    }
}

/// Paths of the programs the runner drives; each can be given on the command line.
#[derive(Debug, Clone)]
pub struct Programs {
    pub bindgen: PathBuf,
    pub node: PathBuf,
    pub wasmtime: PathBuf,
    /// `None` when the reference host is not built.
    pub wasm_server: Option<PathBuf>,
}

/// One run: guest arguments and environment, the work folder (its cwd and only preopen),
/// stdin, and the limit.
pub struct Invocation<'a> {
    /// What the guest sees as argv[0] on every host: node's glue passes the path of the
    /// .wasm it loads, so the other hosts are given the same string.
    pub argv0: &'a str,
    pub args: &'a [String],
    pub env: &'a BTreeMap<String, String>,
    pub workdir: &'a Path,
    /// Extra host folders the guest may read (GOROOT sources for Go's own tests); mapped to the
    /// same path inside the guest.
    pub extra_dirs: &'a [PathBuf],
    pub stdin: Option<&'a [u8]>,
    pub timeout: Duration,
}

/// The environment every host gives the guest: the invocation's (the case's variables plus
/// what the reference glue adds, see `Toolchain::glue_env`), plus PWD so that shims can report
/// the current directory the reference host reports.
pub fn guest_env(inv: &Invocation<'_>) -> BTreeMap<String, String> {
    let mut env = inv.env.clone();
    env.insert("PWD".into(), inv.workdir.display().to_string());
    env
}

/// What a WASI host's own process keeps of the runner's environment (the guest sees only the
/// `--env` it is given): HOME and XDG_CACHE_HOME, where wasmtime and wasm-server cache
/// compiled code. Without them wasm-server compiled every component on every run (2-3 s of CPU
/// each for a Go program, 10+ s on a busy machine).
pub fn host_process_env() -> Vec<(&'static str, std::ffi::OsString)> {
    ["HOME", "XDG_CACHE_HOME"].into_iter().filter_map(|k| std::env::var_os(k).map(|v| (k, v))).collect()
}

/// Runs a rewritten component on the stock wasmtime CLI with only WASI flags.
pub fn run_wasmtime(programs: &Programs, component: &Path, inv: &Invocation<'_>) -> Result<Outcome> {
    let mut cmd = Command::new(&programs.wasmtime);
    cmd.arg("run").arg("--argv0").arg(inv.argv0);
    cmd.arg("--dir").arg(inv.workdir);
    for d in inv.extra_dirs {
        cmd.arg("--dir").arg(d);
    }
    for (k, v) in guest_env(inv) {
        cmd.arg("--env").arg(format!("{k}={v}"));
    }
    cmd.arg(component).args(inv.args);
    cmd.current_dir(inv.workdir).env_clear().envs(host_process_env());
    run(&mut cmd, inv.stdin, inv.timeout)
}

/// Runs a rewritten component on `wasm-server run`.
pub fn run_wasm_server(server: &Path, component: &Path, inv: &Invocation<'_>) -> Result<Outcome> {
    let mut cmd = Command::new(server);
    cmd.arg("run").arg("--argv0").arg(inv.argv0);
    cmd.arg("--dir").arg(inv.workdir);
    for d in inv.extra_dirs {
        cmd.arg("--dir").arg(d);
    }
    for (k, v) in guest_env(inv) {
        cmd.arg("--env").arg(format!("{k}={v}"));
    }
    cmd.arg(component).arg("--").args(inv.args);
    cmd.current_dir(inv.workdir).env_clear().envs(host_process_env());
    run(&mut cmd, inv.stdin, inv.timeout)
}
