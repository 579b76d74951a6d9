//! A frontend registered from outside the crate: `inspect` and `rewrite` use it for the binaries
//! it claims (detection, support, check, plan, refusal, build) with no general file knowing it.

use std::path::{Path, PathBuf};
use wasm_server_bindgen::frontend::{self, App, AppKind, Detection, Frontend, Options, Plan, Timings, Toolchain};
use wasm_server_bindgen::module::{Import, Input};
use wasm_server_bindgen::rewrite::{rewrite_with, RewriteError};
use wasm_server_bindgen::shim::{Shim, ShimError};
use wasm_server_bindgen::support::Support;
use wasm_server_bindgen::{inspect_with, Registry, Verdict};

/// Claims modules that import from module `stub`; rewrites those importing only `stub.print`
/// into a `wasi:cli/run` command.
struct Stub;

const STUB_SHIM: Shim = Shim { file_name: "stub_shim.wasm", crate_name: "stub-shim" };

#[derive(Debug, thiserror::Error)]
enum StubRefusal {
    #[error("stub.{0} is newer than this frontend")]
    Newer(String),
    #[error("a stub program is a command")]
    NotAHandler,
}

impl Frontend for Stub {
    fn name(&self) -> &'static str {
        "stub"
    }
    fn describe(&self) -> &'static str {
        "stub program"
    }
    fn rewrites(&self) -> Option<&'static str> {
        Some("stub modules")
    }
    fn detect(&self, input: &Input) -> Option<Detection> {
        let n = input.info.imports.iter().filter(|i| i.module == "stub").count();
        (n > 0).then(|| Detection {
            evidence: vec![format!("imports {n} functions from module \"stub\"")],
            toolchain: Some(Toolchain { name: "stubc".into(), version: Some("1.0".into()), source: "a test".into() }),
            app: Some(App { kind: AppKind::Command, how: "prints and exits".into() }),
            key_value_stores: None,
            notes: vec!["stub: registered by a test".into()],
        })
    }
    fn support(&self, _input: &Input, import: &Import) -> Support {
        match (import.module.as_str(), import.name.as_str()) {
            ("stub", "print") => Support::Rewritten { by: "stub shim print".into() },
            _ => Support::Unsupported { reason: "not a stub import".into() },
        }
    }
    fn check(&self, input: &Input, _detection: &Detection) -> Result<(), frontend::Refusal> {
        match input.info.imports.iter().find(|i| i.module == "stub" && i.name != "print") {
            Some(i) => Err(frontend::Refusal::input(StubRefusal::Newer(i.name.clone()))),
            None => Ok(()),
        }
    }
    fn plan(&self, input: &Input, _detection: &Detection, options: &Options) -> Result<Plan, frontend::Refusal> {
        if options.app == Some(AppKind::HttpHandler) {
            return Err(frontend::Refusal::input(StubRefusal::NotAHandler));
        }
        let imports_replaced = input.info.imports.iter().filter(|i| i.module == "stub").count();
        Ok(Plan { app: AppKind::Command, kv: false, shim: STUB_SHIM, imports_replaced })
    }
    /// A guest that exports wasi:cli/run and succeeds, wrapped against the workspace's WIT.
    fn build(&self, _input: &Input, _plan: &Plan, timings: &mut Timings) -> anyhow::Result<Vec<u8>> {
        let mut tree = wasm_server_bindgen::wit::Tree::load()?;
        let package =
            tree.push_package(&[("stub.wit", "package test:stub;\nworld stub { export wasi:cli/run@0.2.0; }\n")])?;
        let world = tree.resolve.select_world(&[package], Some("stub"))?;
        let core = wat::parse_str(r#"(module (func (export "wasi:cli/run@0.2.0#run") (result i32) i32.const 0))"#)?;
        timings.push(("stub", 0.0));
        wasm_server_bindgen::component::wrap(core, &tree.resolve, world)
    }
}

fn registry() -> Registry {
    Registry::default().with(Stub)
}

fn write(name: &str, wat: &str) -> PathBuf {
    let path = testkit::tools::scratch_dir("frontend-tests").join(name);
    std::fs::write(&path, wat::parse_str(wat).unwrap()).unwrap();
    path
}

const PRINTS: &str = r#"(module (import "stub" "print" (func (param i32))) (import "wasi_snapshot_preview1" "proc_exit" (func (param i32))))"#;

#[test]
fn inspect_uses_a_registered_frontend() {
    let path = write("prints.wasm", PRINTS);
    let report = inspect_with(&registry(), &path).unwrap();
    assert_eq!(report.flavour, "stub");
    assert_eq!(report.evidence, ["imports 1 functions from module \"stub\""]);
    assert_eq!(report.toolchain.as_ref().and_then(|t| t.version.as_deref()), Some("1.0"));
    assert_eq!(report.app, Some(AppKind::Command));
    assert_eq!(report.key_value_stores, None);
    let supports: Vec<&str> = report.imports.iter().flat_map(|g| &g.items).map(|i| i.support.label()).collect();
    assert_eq!(supports, ["rewritten", "wasi"]);
    assert!(matches!(report.verdict, Verdict::NeedsRewrite { unsupported: 0, .. }), "{:?}", report.verdict);
    let text = report.to_text();
    assert!(text.contains(": stub program ("), "{text}");
    assert!(text.contains("app: command (prints and exits)\nstub: registered by a test\n"), "{text}");
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["flavour"], "stub");
    assert_eq!(json["app"], "command");

    // Without it, nothing claims the module.
    assert_eq!(inspect_with(&Registry::default(), &path).unwrap().flavour, "unknown");
}

#[test]
fn the_frontends_check_is_the_verdict_and_a_typed_refusal() {
    let path = write("newer.wasm", r#"(module (import "stub" "print" (func)) (import "stub" "draw" (func)))"#);
    let report = inspect_with(&registry(), &path).unwrap();
    assert_eq!(report.verdict.summary(), "cannot be rewritten: stub.draw is newer than this frontend");
    let err = rewrite_with(&registry(), &path, &Options::default()).err().unwrap();
    assert!(err.is_unsupported());
    let refusal = err.refusal().and_then(|r| r.downcast_ref::<StubRefusal>());
    assert!(matches!(refusal, Some(StubRefusal::Newer(name)) if name == "draw"), "{err}");
    assert_eq!(err.to_string(), "stub.draw is newer than this frontend");
}

#[test]
fn the_frontends_plan_refuses_options() {
    let path = write("prints-handler.wasm", PRINTS);
    let options = Options { app: Some(AppKind::HttpHandler), ..Options::default() };
    let err = rewrite_with(&registry(), &path, &options).err().unwrap();
    assert!(err.is_unsupported());
    assert!(
        matches!(err.refusal().and_then(|r| r.downcast_ref::<StubRefusal>()), Some(StubRefusal::NotAHandler)),
        "{err}"
    );
    // Options the pipeline checks for every flavour.
    let err = rewrite_with(&registry(), &path, &Options { kv: true, ..Options::default() }).err().unwrap();
    assert!(matches!(err, RewriteError::KvForCommand { .. }), "{err}");
}

#[test]
fn the_plan_names_the_shim_and_the_frontend_builds_the_guest() {
    let path = write("prints-rewrite.wasm", PRINTS);
    // The plan's shim, looked up as every shim is.
    let err = rewrite_with(
        &registry(),
        &path,
        &Options { shim: Some("/no/such/stub_shim.wasm".into()), ..Options::default() },
    )
    .err()
    .unwrap();
    assert!(
        matches!(&err, RewriteError::Shim(ShimError::NotFound { name: "stub_shim.wasm", krate: "stub-shim", .. })),
        "{err}"
    );
    assert!(!err.is_unsupported());
    // A shim that provides nothing: the stub's guest imports nothing from it.
    let shim = write("stub_shim.wasm", "(component)");
    let outcome =
        rewrite_with(&registry(), &path, &Options { shim: Some(shim.clone()), ..Options::default() }).unwrap();
    assert_eq!(outcome.flavour, "stub");
    assert_eq!((outcome.app, outcome.kv, outcome.imports_replaced), (AppKind::Command, false, 1));
    assert_eq!(outcome.shim, shim);
    assert!(outcome.timings.iter().any(|(step, _)| *step == "stub"));
    let out = testkit::tools::scratch_dir("frontend-tests").join("prints.component.wasm");
    std::fs::write(&out, &outcome.component).unwrap();
    let component = Input::read(&out).unwrap();
    assert_eq!(Registry::default().detect(&component).flavour(), "component");
    assert!(component.info.exports.iter().any(|e| e.name == "wasi:cli/run@0.2.0"), "{:?}", component.info.exports);
    run_on_wasmtime(&out);
}

fn run_on_wasmtime(component: &Path) {
    let mut cmd = std::process::Command::new(testkit::tools::wasmtime().unwrap());
    cmd.arg("run").arg(component);
    let run = testkit::process::run(&mut cmd, None, std::time::Duration::from_secs(60)).unwrap();
    assert_eq!(run.code, Some(0), "{}", run.stderr_str());
}

#[test]
fn refusals_of_a_flavour_name_what_rewrite_supports() {
    let path = write(
        "wasi.wasm",
        r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32))) (func (export "_start")))"#,
    );
    assert_eq!(registry().supported(), "stub (stub modules), gojs (Go GOOS=js)");
    let err = rewrite_with(&registry(), &path, &Options::default()).err().unwrap();
    assert!(err.is_unsupported());
    assert_eq!(
        err.to_string(),
        format!(
            "{}: WASI preview1 module (flavour wasi-preview1); rewrite supports: stub (stub modules), gojs (Go GOOS=js); this module imports only WASI and runs as is (`wasmtime run`)",
            path.display()
        )
    );
    // With no frontend at all, every binary is unknown and nothing is rewritten.
    let err = rewrite_with(&Registry::empty(), &path, &Options::default()).err().unwrap();
    assert!(
        err.to_string().ends_with("(flavour unknown); rewrite supports: nothing; run `inspect` to see its imports"),
        "{err}"
    );
}
