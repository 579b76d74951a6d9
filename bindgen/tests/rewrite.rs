//! `rewrite` of Go GOOS=js modules: the generated code (reviewed as WAT), real guests running on
//! stock wasmtime, every supported Go release, and bad inputs refused with a clear message.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use testkit::guests::{self, Goos};
use testkit::tools::{self, repo_root, Versions};
use wasm_server_bindgen::flavours::gojs;
use wasm_server_bindgen::frontend::AppKind;

fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wasm-server-bindgen"))
}

fn scratch(name: &str) -> PathBuf {
    tools::scratch_dir("rewrite-tests").join(name)
}

/// A module with the shape Go's linker gives GOOS=js programs: every gojs import, the four
/// exports, a producers section naming the Go release.
fn go_shaped_module(go_version: &str, extra_imports: &str, exports: &str) -> Vec<u8> {
    let imports: String =
        gojs::abi::IMPORTS.iter().map(|i| format!("  (import \"gojs\" \"{}\" (func (param i32)))\n", i.name)).collect();
    let wat = format!(
        "(module\n{imports}{extra_imports}\n  (memory 2)\n{exports}\n  (@producers (language \"Go\" \"{go_version}\"))\n)"
    );
    wat::parse_str(&wat).unwrap()
}

const GO_EXPORTS: &str = r#"
  (func $run (export "run") (param i32 i32))
  (func $resume (export "resume"))
  (func $getsp (export "getsp") (result i32) i32.const 65536)
  (export "mem" (memory 0))"#;

#[test]
fn generated_adapters_match_the_reviewed_wat() {
    let bytes = go_shaped_module("go1.27.3", "", GO_EXPORTS);
    let contract = gojs::wit::Contract::load().unwrap();
    let core = gojs::guest_core(&contract, &bytes, AppKind::Command, &mut Vec::new()).unwrap();
    wasmparser::Validator::new().validate_all(&core).unwrap();
    insta::assert_snapshot!(wasmprinter::print_bytes(&core).unwrap());
}

#[test]
fn the_http_handler_entry_matches_the_reviewed_wat() {
    // The Workers contract's import, as Go's linker emits a //go:wasmimport.
    let bytes = go_shaped_module("go1.27.3", r#"  (import "workers" "ready" (func))"#, GO_EXPORTS);
    let contract = gojs::wit::Contract::load().unwrap();
    let core = gojs::guest_core(&contract, &bytes, AppKind::HttpHandler, &mut Vec::new()).unwrap();
    wasmparser::Validator::new().validate_all(&core).unwrap();
    let wat = wasmprinter::print_bytes(&core).unwrap();
    // Only what differs from a command: the ready adapter, the incoming-handler entry and the
    // reuse probe.
    let func = |name: &str| {
        let start = wat.find(&format!("(func ${name} (;")).unwrap_or_else(|| panic!("no function {name}"));
        let end = wat[start..].find("\n  (func").map_or(wat.len(), |e| start + e);
        &wat[start..end]
    };
    insta::assert_snapshot!(format!(
        "{}\n...\n{}\n...\n{}",
        func("wsb:adapter:workers.ready"),
        func("wsb:wasi:http/incoming-handler#handle"),
        func("wsb:wasm-server:instance/reuse#reusable")
    ));
    assert!(wat.contains("(export \"wasi:http/incoming-handler@0.2.12#handle\""));
    assert!(wat.contains("(export \"wasm-server:instance/reuse@0.1.0#reusable\""));
    assert!(!wat.contains("wasi:cli/run"), "an HTTP handler has no command entry");
}

#[test]
fn wit_signatures_are_what_the_adapters_expect() {
    // Every WIT function exists and has a core signature; a WIT edit that breaks an adapter's
    // assumptions fails here by name rather than as an invalid module.
    let contract = gojs::wit::Contract::load().unwrap();
    let mut table = String::new();
    for imp in gojs::abi::IMPORTS.iter().filter_map(|i| i.wit) {
        let sig = contract.import_sig(imp.0.name(), imp.1).unwrap();
        table += &format!("{}.{}: {:?} -> {:?} retptr={}\n", imp.0.name(), imp.1, sig.params, sig.results, sig.retptr);
    }
    let sig = contract.import_sig("js", "take-callback-result").unwrap();
    table += &format!("js.take-callback-result: {:?} -> {:?} retptr={}\n", sig.params, sig.results, sig.retptr);
    for f in ["prepare-args", "next-event"] {
        let sig = contract.import_sig("lifecycle", f).unwrap();
        table += &format!("lifecycle.{f}: {:?} -> {:?} retptr={}\n", sig.params, sig.results, sig.retptr);
    }
    for f in ["init", "ready", "is-ready", "begin", "in-progress"] {
        let sig = contract.import_sig("http", f).unwrap();
        table += &format!("http.{f}: {:?} -> {:?} retptr={}\n", sig.params, sig.results, sig.retptr);
    }
    insta::assert_snapshot!(table);
}

fn rewrite(input: &Path, output: &Path) {
    let out = cli().arg("rewrite").arg(input).arg("-o").arg(output).output().unwrap();
    assert!(out.status.success(), "rewrite of {} failed: {}", input.display(), String::from_utf8_lossy(&out.stderr));
}

fn wasmtime(component: &Path, dir: Option<&Path>, args: &[&str]) -> testkit::process::Outcome {
    let mut cmd = Command::new(tools::wasmtime().unwrap());
    cmd.arg("run");
    if let Some(d) = dir {
        cmd.arg("--dir").arg(d).arg("--env").arg(format!("PWD={}", d.display()));
        cmd.current_dir(d);
    }
    cmd.arg(component).args(args);
    testkit::process::run(&mut cmd, None, Duration::from_secs(120)).unwrap()
}

#[test]
fn rewritten_hello_runs_on_stock_wasmtime() {
    let go = Versions::load().unwrap().go;
    let wasm = guests::go_build(&repo_root().join("samples/go/hello"), Goos::Js, &go).unwrap();
    let out = scratch("hello.wasm");
    rewrite(&wasm, &out);
    let input = wasm_server_bindgen::module::Input::read(&out).unwrap();
    assert_eq!(wasm_server_bindgen::Registry::default().detect(&input).flavour(), "component");
    let imports = &input.info.imports;
    assert!(imports.iter().all(|i| i.name.starts_with("wasi:")), "non-WASI import: {imports:?}");
    let run = wasmtime(&out, None, &[]);
    assert_eq!(run.stdout_str(), "Hello from Go!\n", "stderr: {}", run.stderr_str());
    assert_eq!(run.code, Some(0));
}

#[test]
fn every_supported_go_release_is_inspected_and_rewritten() {
    for v in Versions::load().unwrap().go_all {
        let wasm = guests::go_build(&repo_root().join("samples/go/hello"), Goos::Js, &v).unwrap();
        let report = wasm_server_bindgen::inspect_file(&wasm).unwrap();
        assert_eq!(report.toolchain.and_then(|t| t.version).as_deref(), Some(format!("go{v}").as_str()));
        let out = scratch(&format!("hello-go{v}.wasm"));
        rewrite(&wasm, &out);
        let run = wasmtime(&out, None, &[]);
        assert_eq!(run.stdout_str(), "Hello from Go!\n", "go{v}: {}", run.stderr_str());
    }
}

#[test]
fn go_jumps_are_threaded_in_every_supported_go_release() {
    // The pass relies on the shape of the Go compiler's output (gojs::jumps): a release that
    // changed it would leave every branch as it was, and the rewrite slower, without failing.
    for v in Versions::load().unwrap().go_all {
        let wasm = guests::go_build(&repo_root().join("samples/go/hello"), Goos::Js, &v).unwrap();
        let mut module = walrus::Module::from_buffer(&std::fs::read(&wasm).unwrap()).unwrap();
        let before = gojs::jumps::dispatch_branches(&module);
        let threaded = gojs::jumps::thread_forward_jumps(&mut module);
        let after = gojs::jumps::dispatch_branches(&module);
        assert_eq!(before, threaded + after, "go{v}: every branch threaded is one fewer to a dispatch loop");
        // 86–88% in Go 1.21–1.27 (shims/gojs/go/README.md says so).
        assert!(threaded * 100 >= before * 85, "go{v}: {threaded} of {before} branches threaded");
        assert_eq!(gojs::jumps::thread_forward_jumps(&mut module), 0, "go{v}: a second pass finds nothing");
        wasmparser::Validator::new().validate_all(&module.emit_wasm()).unwrap();
    }
}

#[test]
fn a_path_outside_every_preopen_is_a_permission_error() {
    let go = Versions::load().unwrap().go;
    let wasm = guests::go_build(&repo_root().join("conformance/guests/go/cli"), Goos::Js, &go).unwrap();
    let out = scratch("cli.wasm");
    rewrite(&wasm, &out);
    let dir = tools::scratch_dir("rewrite-tests/sandbox");
    let run = wasmtime(&out, Some(&dir), &["sandbox", "/etc/hostname"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr_str());
    assert!(run.stdout_str().contains("is ErrPermission: true"), "{}", run.stdout_str());
}

/// The CLI's exit statuses (see `wasm-server-bindgen --help`).
const ERROR: i32 = 1;
const UNSUPPORTED: i32 = 3;

/// Runs `rewrite` expecting failure: exit code 1 (an error) or 3 (unsupported input, see
/// [`exit_status_tells_unsupported_input_from_errors`]), nothing on stdout, no panic; returns
/// stderr with the scratch folder replaced by `$DIR`.
fn rewrite_fails(args: &[&str]) -> String {
    let out = cli().arg("rewrite").args(args).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(matches!(out.status.code(), Some(ERROR | UNSUPPORTED)), "{args:?}: {:?} {stderr}", out.status);
    assert!(out.stdout.is_empty());
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr.replace(&tools::scratch_dir("rewrite-tests").display().to_string(), "$DIR")
}

fn write(name: &str, bytes: &[u8]) -> String {
    let p = scratch(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

#[test]
fn a_component_is_refused() {
    let input = write("component.wasm", &wat::parse_str("(component)").unwrap());
    insta::assert_snapshot!(rewrite_fails(&[&input, "-o", &scratch("x.wasm").display().to_string()]));
}

#[test]
fn other_flavours_are_named_with_what_is_supported() {
    let go = Versions::load().unwrap().go;
    let wasip1 = guests::go_build(&repo_root().join("samples/go/hello"), Goos::Wasip1, &go).unwrap();
    let out = scratch("x.wasm").display().to_string();
    let err = rewrite_fails(&[wasip1.to_str().unwrap(), "-o", &out]);
    insta::assert_snapshot!("wasi_preview1", err.replace(wasip1.to_str().unwrap(), "$WASM"));
    for f in common::all().into_iter().filter(|f| f.name == "rust-wasm-bindgen-raw" || f.name == "c-emcc-default") {
        let err = rewrite_fails(&[f.path.to_str().unwrap(), "-o", &out]);
        insta::assert_snapshot!(f.name, err.replace(f.path.to_str().unwrap(), "$WASM"));
    }
}

#[test]
fn a_go_http_handler_is_not_rewritten_as_a_command() {
    let f = common::all().into_iter().find(|f| f.name == "go-workers-js").unwrap();
    let err =
        rewrite_fails(&[f.path.to_str().unwrap(), "-o", &scratch("x.wasm").display().to_string(), "--as", "command"]);
    insta::assert_snapshot!(err.replace(f.path.to_str().unwrap(), "$WASM"));
}

/// httpserve's direct request path as Go 1.24+'s //go:wasmexport emits it.
const DIRECT_EXPORTS: &str = r#"
  (func (export "wsb_http_buffer") (param i32) (result i32) i32.const 65536)
  (func (export "wsb_http_request") (param i32 i32))
  (func (export "wsb_http_body") (param i32 i32 i32))
  (func (export "wsb_http_take") (result i64) i64.const 0)
  (func (export "wsb_http_cancel") (param i32))"#;

#[test]
fn the_direct_http_entry_matches_the_reviewed_wat() {
    let exports = format!("{GO_EXPORTS}{DIRECT_EXPORTS}");
    let bytes = go_shaped_module("go1.27.3", r#"  (import "workers" "ready" (func))"#, &exports);
    let contract = gojs::wit::Contract::load().unwrap();
    let core = gojs::guest_core(&contract, &bytes, AppKind::HttpHandler, &mut Vec::new()).unwrap();
    wasmparser::Validator::new().validate_all(&core).unwrap();
    let wat = wasmprinter::print_bytes(&core).unwrap();
    let start = wat.find("(func $wsb:wasi:http/incoming-handler#handle (;").expect("the handle entry");
    let end = wat[start..].find("\n  (func").map_or(wat.len(), |e| start + e);
    insta::assert_snapshot!(&wat[start..end]);
    assert!(!wat.contains("(export \"wsb_http_"), "the direct path's exports become internal");
    assert!(wat.contains("(import \"wasm-server-bindgen:gojs/http@0.1.0\" \"direct-respond\""));
}

#[test]
fn a_partial_or_mistyped_direct_path_is_refused() {
    let exports = format!(
        "{GO_EXPORTS}{}",
        r#"
  (func (export "wsb_http_buffer") (param i32) (result i32) i32.const 0)
  (func (export "wsb_http_take") (result i32) i32.const 0)"#
    );
    let input =
        write("partial-direct.wasm", &go_shaped_module("go1.27.3", r#"  (import "workers" "ready" (func))"#, &exports));
    insta::assert_snapshot!(rewrite_fails(&[&input, "-o", &scratch("x.wasm").display().to_string()]));
}

#[test]
fn an_unknown_go_abi_lists_every_problem() {
    let extra = r#"  (import "gojs" "runtime.newThing" (func (param i32)))
  (import "env" "customHook" (func (param i32) (result i32)))"#;
    let exports = r#"
  (func $run (export "run") (param i32 i32))
  (func $resume (export "resume"))
  (func (export "extraExport"))
  (export "mem" (memory 0))"#;
    let input = write("odd-abi.wasm", &go_shaped_module("go1.27.3", extra, exports));
    insta::assert_snapshot!(rewrite_fails(&[&input, "-o", &scratch("x.wasm").display().to_string()]));
}

#[test]
fn an_unknown_go_release_is_refused() {
    let input = write("go130.wasm", &go_shaped_module("go1.30.0", "", GO_EXPORTS));
    insta::assert_snapshot!(rewrite_fails(&[&input, "-o", &scratch("x.wasm").display().to_string()]));
}

#[test]
fn a_missing_shim_says_how_to_build_it() {
    let input = write("shaped.wasm", &go_shaped_module("go1.27.3", "", GO_EXPORTS));
    insta::assert_snapshot!(rewrite_fails(&[
        &input,
        "-o",
        &scratch("x.wasm").display().to_string(),
        "--shim",
        "/no/such/shim.wasm"
    ]));
}

#[test]
fn malformed_input_is_refused() {
    let input = write("truncated.wasm", b"\0asm\x01\0\0\0\x01\x05");
    insta::assert_snapshot!(rewrite_fails(&[&input, "-o", &scratch("x.wasm").display().to_string()]));
}

/// The import names of a rewritten component.
fn component_imports(path: &Path) -> Vec<String> {
    let info = wasm_server_bindgen::module::read_file(path).unwrap();
    info.imports.iter().map(|i| i.name.clone()).collect()
}

#[test]
fn handlers_that_use_the_kv_package_get_the_key_value_stores() {
    let go = Versions::load().unwrap().go;
    let root = repo_root();
    // The notes sample uses wasm-server-bindgen/gojs/kv: its component imports wasi:keyvalue.
    let notes = guests::go_build(&root.join("samples/go/notes"), Goos::Js, &go).unwrap();
    let report = wasm_server_bindgen::inspect::inspect_file(&notes).unwrap();
    assert_eq!(report.key_value_stores, Some(true));
    assert!(report.to_text().contains("uses: key-value stores (wasm-server-bindgen/gojs/kv"), "{}", report.to_text());
    let out = scratch("notes.wasi.wasm");
    rewrite(&notes, &out);
    let imports = component_imports(&out);
    assert!(imports.iter().any(|i| i == "wasi:keyvalue/store@0.2.0-draft"), "{imports:?}");
    assert!(imports.iter().any(|i| i == "wasi:keyvalue/atomics@0.2.0-draft"), "{imports:?}");
    // A handler that does not: no wasi:keyvalue import, unless asked for with --kv.
    let http = guests::go_build(&root.join("conformance/guests/go/http"), Goos::Js, &go).unwrap();
    assert_eq!(wasm_server_bindgen::inspect::inspect_file(&http).unwrap().key_value_stores, Some(false));
    let out = scratch("http.wasi.wasm");
    rewrite(&http, &out);
    assert!(!component_imports(&out).iter().any(|i| i.starts_with("wasi:keyvalue")));
    let forced = cli().arg("rewrite").arg(&http).arg("-o").arg(&out).arg("--kv").output().unwrap();
    assert!(forced.status.success(), "{}", String::from_utf8_lossy(&forced.stderr));
    assert!(component_imports(&out).iter().any(|i| i.starts_with("wasi:keyvalue/store")));
    // A command has no serving host to bind stores: --kv is refused with the reason.
    let hello = guests::go_build(&root.join("samples/go/hello"), Goos::Js, &go).unwrap();
    let err = rewrite_fails(&[hello.to_str().unwrap(), "-o", &scratch("x.wasm").display().to_string(), "--kv"]);
    assert!(err.contains("--kv applies to HTTP handlers"), "{err}");
}

#[test]
fn strict_proxy_stand_ins_match_the_reviewed_wat() {
    // Generated from the HTTP shim's own imports: a change of the shim's WASI surface shows here.
    let shim = wasm_server_bindgen::shim::locate(&gojs::SHIM_HTTP, None).unwrap();
    let shim = std::fs::read(shim).unwrap();
    let wat =
        wasm_server_bindgen::proxy::stand_ins_wat(&shim, "app.wasm").unwrap().expect("the HTTP shim imports wasi:cli");
    insta::assert_snapshot!(wat);
}

#[test]
fn strict_proxy_handlers_import_only_the_proxy_world() {
    // The interfaces of wasi:http@0.2's `proxy` world (and wasi:io, which they use); the kv
    // sample keeps wasi:keyvalue, which it asked for.
    const PROXY: &[&str] = &[
        "wasi:io/poll",
        "wasi:io/error",
        "wasi:io/streams",
        "wasi:clocks/monotonic-clock",
        "wasi:clocks/wall-clock",
        "wasi:random/random",
        "wasi:cli/stdin",
        "wasi:cli/stdout",
        "wasi:cli/stderr",
        "wasi:http/types",
        "wasi:http/outgoing-handler",
    ];
    let go = Versions::load().unwrap().go;
    let root = repo_root();
    for (guest, extra) in [("conformance/guests/go/http", None), ("samples/go/notes", Some("wasi:keyvalue/"))] {
        let wasm = guests::go_build(&root.join(guest), Goos::Js, &go).unwrap();
        let out = scratch("strict.wasm");
        let run = cli().arg("rewrite").arg(&wasm).arg("-o").arg(&out).arg("--strict-proxy").output().unwrap();
        assert!(run.status.success(), "{guest}: {}", String::from_utf8_lossy(&run.stderr));
        assert!(run.stderr.is_empty(), "{guest}: {}", String::from_utf8_lossy(&run.stderr));
        for import in component_imports(&out) {
            let base = import.split('@').next().unwrap();
            assert!(
                PROXY.contains(&base) || extra.is_some_and(|e| base.starts_with(e)),
                "{guest}: {import} is outside the proxy world"
            );
        }
        if extra.is_some() {
            // The stores stay: inspect names them with the flag they need, and no stand-in.
            let verdict = wasm_server_bindgen::inspect_file(&out).unwrap().verdict;
            assert!(
                verdict.summary().contains("(`wasmtime serve -S keyvalue`, wasm-server serve --kv)"),
                "{}",
                verdict.summary()
            );
            assert!(!verdict.summary().contains("-S cli"), "{}", verdict.summary());
        } else {
            // inspect tells the two builds apart.
            let verdict = wasm_server_bindgen::inspect_file(&out).unwrap().verdict;
            assert!(verdict.summary().contains("a wasi:http/proxy component"), "{}", verdict.summary());
            // The default build says on stderr how to serve it.
            let run = cli().arg("rewrite").arg(&wasm).arg("-o").arg(&out).output().unwrap();
            assert!(run.status.success());
            let stderr = String::from_utf8_lossy(&run.stderr);
            assert!(stderr.contains("`wasmtime serve -S cli`") && stderr.contains("--strict-proxy"), "{stderr}");
            let verdict = wasm_server_bindgen::inspect_file(&out).unwrap().verdict;
            assert!(
                verdict.summary().contains("imports more than the wasi:http/proxy world: wasi:cli/environment@"),
                "{}",
                verdict.summary()
            );
            assert!(
                verdict
                    .summary()
                    .contains("(`wasmtime serve -S cli`; a Go handler rewritten with --strict-proxy does without)"),
                "{}",
                verdict.summary()
            );
        }
    }
    // A command keeps its wasi:cli world: the flag is refused with the reason.
    let hello = guests::go_build(&root.join("samples/go/hello"), Goos::Js, &go).unwrap();
    let err =
        rewrite_fails(&[hello.to_str().unwrap(), "-o", &scratch("x.wasm").display().to_string(), "--strict-proxy"]);
    insta::assert_snapshot!(err.replace(hello.to_str().unwrap(), "$WASM"));
}

/// The exit status of `rewrite` for `args`.
fn rewrite_status(args: &[&str]) -> Option<i32> {
    cli().arg("rewrite").args(args).output().unwrap().status.code()
}

#[test]
fn exit_status_tells_unsupported_input_from_errors() {
    // 3: well-formed input that rewrite does not handle (what the conformance runner counts as
    // unsupported); 1: anything else that fails; 2: a usage error.
    let go = Versions::load().unwrap().go;
    let root = repo_root();
    let out = scratch("x.wasm").display().to_string();
    let wasip1 = guests::go_build(&root.join("samples/go/hello"), Goos::Wasip1, &go).unwrap();
    let hello = guests::go_build(&root.join("samples/go/hello"), Goos::Js, &go).unwrap();
    let workers = common::all().into_iter().find(|f| f.name == "go-workers-js").unwrap().path;
    let wasm_bindgen = common::all().into_iter().find(|f| f.name == "rust-wasm-bindgen-raw").unwrap().path;
    let component = write("status-component.wasm", &wat::parse_str("(component)").unwrap());
    let unknown = write("status-unknown.wasm", &wat::parse_str(r#"(module (import "env" "f" (func)))"#).unwrap());
    let go130 = write("status-go130.wasm", &go_shaped_module("go1.30.0", "", GO_EXPORTS));
    let odd_abi =
        write("status-odd-abi.wasm", &go_shaped_module("go1.27.3", r#"  (import "env" "f" (func))"#, GO_EXPORTS));
    let shaped = write("status-shaped.wasm", &go_shaped_module("go1.27.3", "", GO_EXPORTS));
    // Refused, were it valid: unsupported is said of well-formed input only.
    let invalid = write("status-invalid.wasm", &wat::parse_str("(module (func (result i32)))").unwrap());
    let [wasip1, hello, workers, wasm_bindgen] =
        [&wasip1, &hello, &workers, &wasm_bindgen].map(|p| p.to_str().unwrap());
    let cases: &[(&[&str], i32)] = &[
        (&[wasip1, "-o", &out], UNSUPPORTED),
        (&[wasm_bindgen, "-o", &out], UNSUPPORTED),
        (&[&component, "-o", &out], UNSUPPORTED),
        (&[&unknown, "-o", &out], UNSUPPORTED),
        (&[&go130, "-o", &out], UNSUPPORTED),
        (&[&odd_abi, "-o", &out], UNSUPPORTED),
        (&[workers, "-o", &out, "--as", "command"], UNSUPPORTED),
        (&[hello, "-o", &out, "--kv"], UNSUPPORTED),
        (&[hello, "-o", &out, "--strict-proxy"], UNSUPPORTED),
        (&[&invalid, "-o", &out], ERROR),
        (&[&scratch("status-no-such.wasm").display().to_string(), "-o", &out], ERROR),
        (&[&write("status-truncated.wasm", b"\0asm\x01\0\0\0\x01\x05"), "-o", &out], ERROR),
        (&[&shaped, "-o", &out, "--shim", "/no/such/shim.wasm"], ERROR),
        (&[hello, "-o", &out, "--as", "daemon"], 2),
    ];
    for (args, expected) in cases {
        assert_eq!(rewrite_status(args), Some(*expected), "{args:?}");
    }
}
