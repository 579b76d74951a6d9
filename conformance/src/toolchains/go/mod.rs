//! Go, `GOOS=js GOARCH=wasm`: the pinned releases of `ci/versions.sh`, built with
//! `testkit::guests::go_build`, run on node with the release's own glue (`wasm_exec_node.js`
//! for commands; `shims/gojs/node/serve.mjs` over its `wasm_exec.js` for HTTP handlers), and the
//! standard library's tests as the corpus ([`stdlib`]).

pub mod stdlib;

use super::{Corpus, Guest, ServeReference, Toolchain};
use crate::hosts::{guest_env, Invocation, Programs};
use anyhow::{Context, Result};
use std::path::Path;
use std::process::Command;
use testkit::guests::{go_build, Goos};
use testkit::process::{run, Outcome};
use testkit::tools::{self, Scope, Versions};

pub struct Go {
    versions: Versions,
}

impl Go {
    pub fn load() -> Result<Go> {
        Ok(Go { versions: Versions::load_for(Scope::Full)? })
    }
}

impl Toolchain for Go {
    fn language(&self) -> &'static str {
        "go"
    }

    fn default_version(&self) -> &str {
        &self.versions.go
    }

    /// CI: `GO_VERSIONS_CI` (ci/versions.sh says why each release is there); full: every
    /// pinned release.
    fn all_versions(&self, scope: Scope) -> &[String] {
        match scope {
            Scope::Ci => &self.versions.go_ci,
            Scope::Full => &self.versions.go_pinned,
        }
    }

    fn label(&self, version: &str) -> String {
        format!("go{version}")
    }

    fn build(&self, dir: &Path, version: &str) -> Result<Guest> {
        Ok(Guest { wasm: go_build(dir, Goos::Js, version)?, version: version.to_string() })
    }

    /// wasm_exec_node.js: `go.env = Object.assign({ TMPDIR: require("os").tmpdir() }, process.env)`
    /// (/tmp here).
    fn glue_env(&self) -> Vec<(&'static str, &'static str)> {
        vec![("TMPDIR", "/tmp")]
    }

    /// node with the release's `wasm_exec_node.js`, as `go test` runs GOOS=js binaries
    /// (through go_js_wasm_exec). The glue loads the module named by argv[0], so `inv.argv0`
    /// must be the module's path.
    fn run_reference(&self, programs: &Programs, guest: &Guest, inv: &Invocation<'_>) -> Result<Outcome> {
        run_node(programs, &tools::wasm_exec_node(&guest.version)?, inv)
    }

    /// `shims/gojs/node/serve.mjs`: node's http server in front of the unrewritten module,
    /// over the release's own `wasm_exec.js`.
    fn serve_reference(&self, programs: &Programs, guest: &Guest, serve: &ServeReference<'_>) -> Result<Command> {
        let glue = tools::repo_root().join("shims/gojs/node/serve.mjs");
        let wasm_exec = tools::wasm_exec_node(&guest.version)?.with_file_name("wasm_exec.js");
        let mut cmd = Command::new(&programs.node);
        cmd.arg(glue).arg(&guest.wasm).arg("--listen").arg("127.0.0.1:0");
        cmd.arg("--timeout").arg(format!("{}s", serve.handler_timeout.as_secs())).arg("--wasm-exec").arg(wasm_exec);
        cmd.env_clear().envs(serve.env).env("PATH", std::env::var_os("PATH").unwrap_or_default());
        Ok(cmd)
    }

    fn corpus(&self, table: toml::Value) -> Result<Box<dyn Corpus>> {
        let config: stdlib::StdTests = table.try_into().context("bad [corpus.go] table")?;
        Ok(Box::new(stdlib::Stdlib { config, version: self.versions.go.clone() }))
    }
}

/// Runs a GOOS=js module under node with `glue` (a release's `wasm_exec_node.js`).
pub(crate) fn run_node(programs: &Programs, glue: &Path, inv: &Invocation<'_>) -> Result<Outcome> {
    let mut cmd = Command::new(&programs.node);
    // `go test` runs node from PATH, so process.argv0 is "node" (Go's net/http then uses its
    // fake network instead of fetch); and go_js_wasm_exec raises V8's stack to 8 MiB.
    std::os::unix::process::CommandExt::arg0(&mut cmd, "node");
    cmd.arg("--stack-size=8192").arg(glue).arg(inv.argv0).args(inv.args);
    cmd.current_dir(inv.workdir).env_clear().envs(guest_env(inv));
    run(&mut cmd, inv.stdin, inv.timeout)
}
