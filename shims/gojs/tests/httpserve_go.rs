//! httpserve's own Go tests (shims/gojs/go/httpserve/*_test.go): built for GOOS=js with the
//! newest pinned Go and run under node through the toolchain's go_js_wasm_exec, as `go test`
//! runs GOOS=js tests. They hold the direct path's shortcuts (URL splitting, header-name
//! canonicalisation, the request context) to the standard library they stand in for.

use std::process::Command;
use testkit::tools;

#[test]
fn httpserve_go_tests_pass_under_node() -> anyhow::Result<()> {
    let version = tools::Versions::load()?.go;
    // The exec wrapper sits beside the toolchain's node glue (lib/wasm, misc/wasm before 1.24).
    let exec = tools::wasm_exec_node(&version)?.with_file_name("go_js_wasm_exec");
    // go_js_wasm_exec runs `node` from PATH.
    let node_dir = tools::node()?.parent().map(|d| d.to_path_buf()).unwrap_or_default();
    let path = std::env::join_paths(
        std::iter::once(node_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )?;
    let out = Command::new(tools::go(&version)?)
        .current_dir(tools::repo_root().join("shims/gojs/go"))
        .args(["test", "-count=1", "-exec"])
        .arg(&exec)
        .arg("./httpserve/")
        .env("GOOS", "js")
        .env("GOARCH", "wasm")
        .env("PATH", path)
        .output()?;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "go test ./httpserve/ (GOOS=js, Go {version}) failed:\n{text}");
    Ok(())
}
