//! The interface every flavour implements.
//!
//! A frontend knows the binaries of one toolchain (its flavour). It [detects](Frontend::detect)
//! them, with the evidence, the toolchain's version and what kind of program each is; says how
//! each of their imports is satisfied on WASI ([`Frontend::support`]); checks what it cannot
//! rewrite ([`Frontend::check`], the verdict of `inspect`); [plans](Frontend::plan) a rewrite or
//! refuses it with a typed reason; and [builds](Frontend::build) the guest component that the
//! pipeline then composes with the shim the plan names.
//!
//! General modules (`inspect`, `support`, `rewrite`) talk only to this trait. The built-in
//! frontends are listed in `flavours`; [`crate::registry::Registry`] asks them in turn and takes
//! more.

use crate::module::{BinaryKind, Import, Input};
use crate::shim::Shim;
use crate::support::Support;
use serde::Serialize;
use std::path::PathBuf;

/// The name of a flavour (a frontend's [`Frontend::name`]): the JSON report's `flavour` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Flavour(&'static str);

impl Flavour {
    pub const fn new(name: &'static str) -> Flavour {
        Flavour(name)
    }
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl std::fmt::Display for Flavour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl PartialEq<&str> for Flavour {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// The toolchain and version a binary records about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Toolchain {
    /// `Go`, `wasm-bindgen`, `emscripten`, `.NET`, `rustc`, …
    pub name: String,
    /// The version as recorded (`go1.27.3`, `0.2.130`, `10.0.1026.32716 @Commit: …`), if any.
    pub version: Option<String>,
    /// Where the version came from (`producers section`, `data segment`, …) or why it is absent.
    pub source: String,
}

impl Toolchain {
    /// For flavours without a marker of their own: the producer that processed or wrote the
    /// code, from the `producers` section.
    pub fn from_producers(input: &Input) -> Option<Toolchain> {
        let producers = &input.info.producers;
        let p = producers
            .iter()
            .find(|p| p.field == "processed-by")
            .or_else(|| producers.iter().find(|p| p.field == "language"))?;
        Some(Toolchain {
            name: p.name.clone(),
            version: (!p.version.is_empty()).then(|| p.version.clone()),
            source: "producers section".into(),
        })
    }
}

/// What a program is for: what `rewrite` makes of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum AppKind {
    /// A command: `main` runs, the program exits (wasi:cli/run).
    Command,
    /// An HTTP handler: it serves requests (wasi:http/incoming-handler).
    HttpHandler,
}

impl AppKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AppKind::Command => "command",
            AppKind::HttpHandler => "http-handler",
        }
    }
}

impl std::fmt::Display for AppKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a program is for, as its frontend reads it from the binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    pub kind: AppKind,
    /// How it is one, for the text report: `runs main and exits`.
    pub how: String,
}

/// What a frontend found in a binary it claims.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detection {
    /// Why this flavour: import modules and names, exports, custom sections.
    pub evidence: Vec<String>,
    pub toolchain: Option<Toolchain>,
    /// What the program is for, where the frontend can tell.
    pub app: Option<App>,
    /// Whether the program uses the host's key-value stores, where the frontend can tell.
    pub key_value_stores: Option<bool>,
    /// More lines for the text report, after the app (`direct path: …`).
    pub notes: Vec<String>,
}

/// The options of a rewrite, given to [`Frontend::plan`].
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The shim component to compose with (default: the one the plan names, looked up as
    /// [`crate::shim::locate`] says).
    pub shim: Option<PathBuf>,
    /// What to make of the program (default: what its frontend reads from it).
    pub app: Option<AppKind>,
    /// Give an HTTP handler the host's key-value stores even when the program does not say it
    /// uses them (which its frontend detects).
    pub kv: bool,
    /// Keep an HTTP handler's imports inside the wasi:http/proxy world (see [`crate::proxy`]).
    pub strict_proxy: bool,
}

/// What a frontend will build, and what the pipeline composes it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// A command (`wasi:cli/run`) or an HTTP handler (`wasi:http/incoming-handler`).
    pub app: AppKind,
    /// Whether the component gets the host's key-value stores (it then imports wasi:keyvalue).
    pub kv: bool,
    /// The shim component the guest is composed with.
    pub shim: Shim,
    /// How many of the module's imports the guest replaces.
    pub imports_replaced: usize,
}

/// Seconds per step of a rewrite, in order.
pub type Timings = Vec<(&'static str, f64)>;

/// Why a frontend does not rewrite a binary: a typed error of the flavour's own (downcast it
/// with [`Refusal::downcast_ref`]), and whether it is about the flavour as a whole or about this
/// input.
#[derive(Debug)]
pub struct Refusal {
    scope: Scope,
    error: Box<dyn std::error::Error + Send + Sync + 'static>,
}

/// What a [`Refusal`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `rewrite` does not take this flavour at all (it runs as is, or its rewrite is not
    /// written yet). The pipeline says which flavours it takes, then gives this reason.
    Flavour,
    /// The flavour is rewritten, but not this input (toolchain version, ABI, options): the
    /// error says it all.
    Input,
}

impl Refusal {
    /// This input cannot be rewritten: `error` says why, where and what to do.
    pub fn input(error: impl std::error::Error + Send + Sync + 'static) -> Refusal {
        Refusal { scope: Scope::Input, error: Box::new(error) }
    }
    /// Rewrite does not take the flavour: `reason` ends the message (`this flavour is planned,
    /// not implemented`).
    pub fn flavour(reason: impl std::error::Error + Send + Sync + 'static) -> Refusal {
        Refusal { scope: Scope::Flavour, error: Box::new(reason) }
    }
    pub fn scope(&self) -> Scope {
        self.scope
    }
    /// The error type the flavour defines (its `Refusal`).
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        self.error.downcast_ref()
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for Refusal {
    // The flavour's error is this one's text, not a cause of it.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

/// The text of the reports that a frontend does not choose: a binary whose imports are all WASI
/// runs on any WASI preview1 host (`wasmtime run`, …).
pub const RUNS_ON_WASI_PREVIEW1: &str = "any WASI preview1 host (wasmtime run, …)";

/// One flavour: detection, support, checks, plan and build of the guest. Implement it for a new
/// toolchain and add it to `flavours::builtins` (or to a [`crate::registry::Registry`] with
/// `with`); nothing else needs to change.
pub trait Frontend: Send + Sync {
    /// The flavour's name: the JSON report's `flavour` (`gojs`).
    fn name(&self) -> &'static str;

    /// For people: `Go GOOS=js GOARCH=wasm program`.
    fn describe(&self) -> &'static str;

    /// The layer of binary it reads: core modules unless it says otherwise.
    fn layer(&self) -> BinaryKind {
        BinaryKind::CoreModule
    }

    /// Whether `rewrite` takes this flavour: a short name of what it takes, for messages that
    /// say `rewrite supports: <name> (<what>)`; `None` when it does not (yet).
    fn rewrites(&self) -> Option<&'static str> {
        None
    }

    /// Whether binaries of this flavour already run on WASI hosts as they are (WASI modules,
    /// components): an import that is not WASI is then one nothing provides (verdict
    /// `cannot-run`) rather than one for `rewrite` to replace (`needs-rewrite`).
    fn passes_through(&self) -> bool {
        false
    }

    /// Claims the binary when it is of this flavour, saying why.
    fn detect(&self, input: &Input) -> Option<Detection>;

    /// How a non-WASI import of a binary of this flavour is satisfied on a WASI host (WASI
    /// imports are WASI's, see [`crate::support::classify`]).
    fn support(&self, input: &Input, import: &Import) -> Support;

    /// Where a binary of this flavour whose imports are all WASI runs, for the verdict
    /// (`any WASI preview1 host (wasmtime run, …)`).
    fn hosts(&self, _input: &Input) -> String {
        RUNS_ON_WASI_PREVIEW1.into()
    }

    /// What would stop a rewrite of a binary this frontend detected, whatever the options
    /// (an unknown toolchain version, an ABI it does not know): `inspect`'s verdict, and the
    /// first step of `rewrite`.
    fn check(&self, _input: &Input, _detection: &Detection) -> Result<(), Refusal> {
        Ok(())
    }

    /// What `rewrite` will do with the binary and `options`, or why it will not.
    fn plan(&self, input: &Input, detection: &Detection, options: &Options) -> Result<Plan, Refusal>;

    /// The guest component: the binary with its browser imports replaced by adapters to the
    /// interfaces the plan's shim exports, and its entry point. Steps are timed in `timings`.
    fn build(&self, _input: &Input, _plan: &Plan, _timings: &mut Timings) -> anyhow::Result<Vec<u8>> {
        anyhow::bail!("the {} frontend plans no rewrite, so it builds nothing", self.name())
    }
}

/// `"a", "b"`: names quoted for messages.
pub fn quote_list(items: &[&str]) -> String {
    items.iter().map(|m| format!("\"{m}\"")).collect::<Vec<_>>().join(", ")
}
