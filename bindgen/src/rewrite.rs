//! `rewrite`: a browser-targeted module in, one WASI 0.2 component out.
//!
//! The pipeline, each step named in errors: read and validate the input → detect its flavour
//! (the registry's frontends) → the frontend's check and plan, or its refusal → the frontend
//! builds the guest component (adapters + entry point) → compose it with the shim the plan names
//! (and, for `--strict-proxy`, the stand-ins of [`crate::proxy`]) → validate the result.

use crate::error::InputError;
use crate::frontend::{AppKind, Flavour, Plan, Refusal, Scope};
use crate::module::{Check, Input};
use crate::registry::{Detected, Registry};
use crate::shim;
use anyhow::Context;
use serde::Serialize;
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub use crate::frontend::Options;

#[derive(Debug, thiserror::Error)]
pub enum RewriteError {
    #[error(transparent)]
    Input(#[from] InputError),
    /// The frontend refused the input (see [`Refusal`]).
    #[error("{}", refused_message(.path, .flavour, .describe, .supported, .refusal))]
    Refused { path: PathBuf, flavour: Flavour, describe: &'static str, supported: String, refusal: Refusal },
    #[error("{path}: --kv applies to HTTP handlers (the key-value stores are a binding of the serving host); this module is a command")]
    KvForCommand { path: PathBuf },
    #[error("{path}: --strict-proxy applies to HTTP handlers (a command runs in the wasi:cli world, which has what it needs); this module is a command")]
    StrictProxyForCommand { path: PathBuf },
    #[error(transparent)]
    Shim(#[from] shim::ShimError),
    #[error("{step}: {error:#}")]
    Step { step: Cow<'static, str>, error: anyhow::Error },
}

impl RewriteError {
    /// Whether the input is well-formed but not something `rewrite` handles: a flavour it does
    /// not rewrite, a toolchain version or ABI it does not know, a component, an option that
    /// does not apply to the module. The CLI exits with its own status for these.
    pub fn is_unsupported(&self) -> bool {
        matches!(
            self,
            RewriteError::Refused { .. }
                | RewriteError::KvForCommand { .. }
                | RewriteError::StrictProxyForCommand { .. }
        )
    }

    /// The frontend's refusal, when that is what this is.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            RewriteError::Refused { refusal, .. } => Some(refusal),
            _ => None,
        }
    }
}

/// A refusal of the whole flavour says which flavours `rewrite` takes before its reason.
fn refused_message(path: &Path, flavour: &Flavour, describe: &str, supported: &str, refusal: &Refusal) -> String {
    match refusal.scope() {
        Scope::Flavour => {
            format!("{}: {describe} (flavour {flavour}); rewrite supports: {supported}; {refusal}", path.display())
        }
        Scope::Input => refusal.to_string(),
    }
}

/// What a rewrite did.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub flavour: Flavour,
    pub toolchain: Option<String>,
    /// A command (`wasi:cli/run`) or an HTTP handler (`wasi:http/incoming-handler`).
    pub app: AppKind,
    /// Whether the shim gives the program the host's key-value stores (the component imports
    /// wasi:keyvalue).
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

fn step<T>(step: impl Into<Cow<'static, str>>, r: anyhow::Result<T>) -> Result<T, RewriteError> {
    r.map_err(|error| RewriteError::Step { step: step.into(), error })
}

/// Rewrites the module at `input` with the built-in frontends; the component is in the outcome
/// (not yet written anywhere).
pub fn rewrite_file(input: &Path, options: &Options) -> Result<Outcome, RewriteError> {
    rewrite_with(&Registry::default(), input, options)
}

/// Rewrites the module at `path` with the frontends of `registry`.
pub fn rewrite_with(registry: &Registry, path: &Path, options: &Options) -> Result<Outcome, RewriteError> {
    let mut timings = Vec::new();
    let t = Instant::now();
    // Function bodies are validated by the frontend's parse; the output as a whole at the end.
    let input = Input::read_checked(path, Check::Structure)?;
    let detected = registry.detect(&input);
    timings.push(("inspect", t.elapsed().as_secs_f64()));
    let plan = plan(registry, &input, &detected, options).map_err(|e| match e.is_unsupported() {
        // Unsupported is said of well-formed input only: a malformed one is that first.
        true => crate::module::parse_checked(path, &input.bytes, Check::Full).err().map_or(e, RewriteError::Input),
        false => e,
    })?;
    let shim_path = shim::locate(&plan.shim, options.shim.as_deref())?;
    let guest = step("generating the guest component", detected.frontend.build(&input, &plan, &mut timings))?;
    let t = Instant::now();
    let shim_bytes = shim::read(&shim_path)?;
    let stand_ins = if options.strict_proxy {
        // The program's one argument, as `wasmtime run` gives it: the file's name.
        let program = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "main.wasm".into());
        let stand_ins = step(
            "standing in for the imports outside wasi:http/proxy",
            crate::proxy::stand_ins(&shim_bytes, &program),
        )?;
        timings.push(("stand-ins", t.elapsed().as_secs_f64()));
        stand_ins
    } else {
        None
    };
    let t = Instant::now();
    let component = step(
        format!("composing with the {} shim", detected.flavour()),
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
        flavour: detected.flavour(),
        toolchain: detected.detection.toolchain.and_then(|t| t.version),
        app: plan.app,
        kv: plan.kv,
        stood_in: stand_ins.map(|s| s.interfaces).unwrap_or_default(),
        imports_replaced: plan.imports_replaced,
        input_size: input.bytes.len(),
        output_size: component.len(),
        shim: shim_path,
        timings,
        component,
    })
}

/// The frontend's check and plan, and the options that apply to HTTP handlers only.
fn plan(registry: &Registry, input: &Input, detected: &Detected<'_>, options: &Options) -> Result<Plan, RewriteError> {
    let refused = |refusal: Refusal| RewriteError::Refused {
        path: input.path.clone(),
        flavour: detected.flavour(),
        describe: detected.frontend.describe(),
        supported: registry.supported(),
        refusal,
    };
    detected.check(input).map_err(refused)?;
    let plan = detected.plan(input, options).map_err(refused)?;
    if options.kv && plan.app == AppKind::Command {
        return Err(RewriteError::KvForCommand { path: input.path.clone() });
    }
    if options.strict_proxy && plan.app == AppKind::Command {
        return Err(RewriteError::StrictProxyForCommand { path: input.path.clone() });
    }
    Ok(plan)
}

/// Writes `bytes` to `path` through a temporary sibling, so a failed write never leaves a
/// half-written component behind.
pub fn write_output(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("wasm.partial");
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
}
