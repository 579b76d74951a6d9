//! The frontends `inspect` and `rewrite` ask, in order. [`Registry::default`] holds the built-in
//! ones (listed in `flavours`); [`Registry::with`] adds one without touching any other file.
//! A binary no frontend claims is of flavour `unknown`.

use crate::frontend::{Detection, Flavour, Frontend, Options, Plan, Refusal, Toolchain};
use crate::module::{Import, Input};
use crate::support::Support;

/// Frontends in the order they are asked to claim a binary.
pub struct Registry {
    frontends: Vec<Box<dyn Frontend>>,
}

impl Default for Registry {
    /// The built-in frontends.
    fn default() -> Registry {
        Registry { frontends: crate::flavours::builtins() }
    }
}

impl Registry {
    /// No frontend: every binary is of flavour `unknown`.
    pub fn empty() -> Registry {
        Registry { frontends: Vec::new() }
    }

    /// Adds `frontend`, asked before those already here (so it can claim binaries they would).
    pub fn with(mut self, frontend: impl Frontend + 'static) -> Registry {
        self.frontends.insert(0, Box::new(frontend));
        self
    }

    /// The frontends, in the order they are asked.
    pub fn frontends(&self) -> impl Iterator<Item = &dyn Frontend> {
        self.frontends.iter().map(|f| f.as_ref())
    }

    /// The frontend of flavour `name`.
    pub fn find(&self, name: &str) -> Option<&dyn Frontend> {
        self.frontends().find(|f| f.name() == name)
    }

    /// The first frontend that claims `input` (among those reading its layer), or `unknown`.
    pub fn detect(&self, input: &Input) -> Detected<'_> {
        self.frontends()
            .filter(|f| f.layer() == input.info.kind)
            .find_map(|frontend| frontend.detect(input).map(|detection| Detected { frontend, detection }))
            .unwrap_or_else(|| Detected { frontend: &Unknown, detection: Unknown::detection(input) })
    }

    /// What `rewrite` takes, for messages: `<name> (<what>), …`, or `nothing`.
    pub fn supported(&self) -> String {
        let list: Vec<String> =
            self.frontends().filter_map(|f| f.rewrites().map(|what| format!("{} ({what})", f.name()))).collect();
        if list.is_empty() {
            "nothing".into()
        } else {
            list.join(", ")
        }
    }
}

/// A binary's frontend and what it found.
pub struct Detected<'r> {
    pub frontend: &'r dyn Frontend,
    pub detection: Detection,
}

impl Detected<'_> {
    pub fn flavour(&self) -> Flavour {
        Flavour::new(self.frontend.name())
    }

    /// How `import` is satisfied on a WASI host (see [`crate::support::classify`]).
    pub fn support(&self, input: &Input, import: &Import) -> Support {
        crate::support::classify(import, |i| self.frontend.support(input, i))
    }

    /// The frontend's check ([`Frontend::check`]).
    pub fn check(&self, input: &Input) -> Result<(), Refusal> {
        self.frontend.check(input, &self.detection)
    }

    /// The frontend's plan ([`Frontend::plan`]).
    pub fn plan(&self, input: &Input, options: &Options) -> Result<Plan, Refusal> {
        self.frontend.plan(input, &self.detection, options)
    }
}

/// The flavour of binaries no frontend claims.
pub const UNKNOWN: &str = "unknown";

/// What no frontend claims: evidence of why not, the producers section's toolchain, no rewrite.
struct Unknown;

/// Why `rewrite` does not take a binary no frontend claims.
#[derive(Debug, thiserror::Error)]
#[error("run `inspect` to see its imports")]
pub struct UnknownRefusal;

impl Unknown {
    fn detection(input: &Input) -> Detection {
        let info = &input.info;
        let entry = ["_start", "_initialize"].into_iter().any(|e| info.has_export(e));
        let evidence = match (info.imports.is_empty(), entry) {
            (true, false) => "has no imports and no _start or _initialize entry point".to_string(),
            (true, true) => "has no imports, and no frontend claims it".to_string(),
            (false, _) => {
                format!("imports from {} match no known toolchain", crate::frontend::quote_list(&info.import_modules()))
            }
        };
        Detection { evidence: vec![evidence], toolchain: Toolchain::from_producers(input), ..Detection::default() }
    }
}

impl Frontend for Unknown {
    fn name(&self) -> &'static str {
        UNKNOWN
    }
    fn describe(&self) -> &'static str {
        "module of unknown origin"
    }
    fn passes_through(&self) -> bool {
        true
    }
    fn detect(&self, input: &Input) -> Option<Detection> {
        Some(Unknown::detection(input))
    }
    fn support(&self, _input: &Input, _import: &Import) -> Support {
        Support::Unsupported {
            reason: "no known toolchain provides this import; the module needs a host that defines it".into(),
        }
    }
    fn plan(&self, _input: &Input, _detection: &Detection, _options: &Options) -> Result<Plan, Refusal> {
        Err(Refusal::flavour(UnknownRefusal))
    }
}
