//! `rewrite`: a browser-targeted module in, one WASI 0.2 component out.
//!
//! The pipeline, each step named in errors: read and validate the input → detect its flavour →
//! check the flavour's ABI → generate the guest component (adapters + entry point) → compose it
//! with the flavour's shim component → validate the result.

use crate::error::InputError;
use crate::flavour::{self, Flavour};
use crate::module::{self, BinaryKind};
use crate::{gojs, shim};
use anyhow::Context;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, thiserror::Error)]
pub enum RewriteError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("{path}: is already a component; rewrite takes the core module a browser toolchain emits (components run on WASI hosts as they are: see `inspect`)")]
    Component { path: PathBuf },
    #[error("{path}: {describe} (flavour {flavour}); rewrite supports: gojs (Go GOOS=js){hint}")]
    UnsupportedFlavour { path: PathBuf, flavour: Flavour, describe: &'static str, hint: &'static str },
    #[error("Go release {found} is outside those this rewriter knows ({known}); rebuild with one of them")]
    UnknownGoVersion { found: String, known: String },
    #[error("the module does not have the Go GOOS=js ABI this rewriter knows ({} problem{}):\n{}", problems.len(), if problems.len() == 1 { "" } else { "s" }, problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    UnsupportedGoAbi { problems: Vec<String> },
    #[error("{path}: --as command, but the module imports workers.ready: it is an HTTP handler (the Workers fetch contract) and has no main that finishes; rewrite it without --as, or --as http-handler")]
    HandlerAsCommand { path: PathBuf },
    #[error("{path}: --kv applies to HTTP handlers (the key-value stores are a binding of the serving host); this module is a command")]
    KvForCommand { path: PathBuf },
    #[error("{path}: --strict-proxy applies to HTTP handlers (a command runs in the wasi:cli world, which has what it needs); this module is a command")]
    StrictProxyForCommand { path: PathBuf },
    #[error(transparent)]
    Shim(#[from] shim::ShimError),
    #[error("{step}: {error:#}")]
    Step { step: &'static str, error: anyhow::Error },
}

/// Options of a rewrite.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The shim component to compose with (default: found next to the executable).
    pub shim: Option<PathBuf>,
    /// What to make of a Go program (default: read from the module, see [`gojs::GoApp::of`]).
    pub app: Option<gojs::GoApp>,
    /// Give an HTTP handler the host's key-value stores (`context.kv`) even when it does not
    /// use wasm-server-bindgen/gojs/kv (which is detected).
    pub kv: bool,
    /// Keep an HTTP handler's imports inside the wasi:http/proxy world (see [`crate::proxy`]).
    pub strict_proxy: bool,
}

/// What a rewrite did.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub flavour: Flavour,
    pub toolchain: Option<String>,
    /// A command (`wasi:cli/run`) or an HTTP handler (`wasi:http/incoming-handler`).
    pub app: gojs::GoApp,
    /// Whether the shim gives the program `context.kv` (the component imports wasi:keyvalue).
    pub kv: bool,
    /// The interfaces outside the wasi:http/proxy world that stand-ins provide (empty unless
    /// `strict_proxy`).
    pub stood_in: Vec<String>,
    pub imports_replaced: usize,
    pub input_size: usize,
    pub output_size: usize,
    pub shim: PathBuf,
    /// Seconds per step.
    pub timings: Vec<(&'static str, f64)>,
    #[serde(skip)]
    pub component: Vec<u8>,
}

fn step<T>(step: &'static str, r: anyhow::Result<T>) -> Result<T, RewriteError> {
    r.map_err(|error| RewriteError::Step { step, error })
}

/// Rewrites the module at `input`; the component is in the outcome (not yet written anywhere).
pub fn rewrite_file(input: &Path, options: &Options) -> Result<Outcome, RewriteError> {
    let mut timings = Vec::new();
    let t = Instant::now();
    let bytes = module::read_bytes(input)?;
    // Function bodies are validated by walrus's parse below; the output as a whole at the end.
    let info = module::parse_checked(input, &bytes, module::Check::Structure)?;
    if info.kind == BinaryKind::Component {
        return Err(RewriteError::Component { path: input.into() });
    }
    let detection = flavour::detect(&info);
    timings.push(("inspect", t.elapsed().as_secs_f64()));
    if detection.flavour != Flavour::GoJs {
        return Err(RewriteError::UnsupportedFlavour {
            path: input.into(),
            flavour: detection.flavour,
            describe: detection.flavour.describe(),
            hint: match detection.flavour {
                Flavour::WasiPreview1 => "; this module imports only WASI and runs as is (`wasmtime run`)",
                Flavour::Unknown => "; run `inspect` to see its imports",
                _ => "; this flavour is planned, not implemented",
            },
        });
    }
    gojs::check_abi(&info, detection.toolchain.as_ref())?;
    let detected = gojs::GoApp::of(&info);
    let app = options.app.unwrap_or(detected);
    if app == gojs::GoApp::Command && detected == gojs::GoApp::HttpHandler {
        return Err(RewriteError::HandlerAsCommand { path: input.into() });
    }
    if options.kv && app == gojs::GoApp::Command {
        return Err(RewriteError::KvForCommand { path: input.into() });
    }
    if options.strict_proxy && app == gojs::GoApp::Command {
        return Err(RewriteError::StrictProxyForCommand { path: input.into() });
    }
    let kv = app == gojs::GoApp::HttpHandler && (options.kv || info.markers.go_kv_package);
    let shim_flavour = match (app, kv) {
        (gojs::GoApp::Command, _) => shim::Flavour::GoJs,
        (gojs::GoApp::HttpHandler, false) => shim::Flavour::GoJsHttp,
        (gojs::GoApp::HttpHandler, true) => shim::Flavour::GoJsHttpKv,
    };
    let shim_path = shim::locate(shim_flavour, options.shim.as_deref())?;
    let guest = step("generating the guest component", gojs::guest_component(&bytes, app, &mut timings))?;
    let t = Instant::now();
    let shim_bytes = shim::read(&shim_path)?;
    let stand_ins = if options.strict_proxy {
        // The program's one argument, as `wasmtime run` gives it: the file's name.
        let program = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "main.wasm".into());
        let stand_ins = step("standing in for the imports outside wasi:http/proxy", crate::proxy::stand_ins(&shim_bytes, &program))?;
        timings.push(("stand-ins", t.elapsed().as_secs_f64()));
        stand_ins
    } else {
        None
    };
    let t = Instant::now();
    let component = step(
        "composing with the gojs shim",
        crate::compose::compose(&guest, &shim_bytes, stand_ins.as_ref().map(|s| s.component.as_slice())),
    )?;
    if options.strict_proxy {
        step("checking the --strict-proxy output", crate::proxy::check_strict(&component))?;
    }
    timings.push(("compose", t.elapsed().as_secs_f64()));
    let t = Instant::now();
    step("validating the output", crate::compose::validate(&component))?;
    timings.push(("validate", t.elapsed().as_secs_f64()));
    Ok(Outcome {
        flavour: detection.flavour,
        toolchain: detection.toolchain.and_then(|t| t.version),
        app,
        kv,
        stood_in: stand_ins.map(|s| s.interfaces).unwrap_or_default(),
        imports_replaced: info.imports.iter().filter(|i| i.module == gojs::abi::MODULE || gojs::abi::is_workers_ready(&i.module, &i.name)).count(),
        input_size: bytes.len(),
        output_size: component.len(),
        shim: shim_path,
        timings,
        component,
    })
}

/// Writes `bytes` to `path` through a temporary sibling, so a failed write never leaves a
/// half-written component behind.
pub fn write_output(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("wasm.partial");
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
}
