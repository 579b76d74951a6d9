//! Go `GOOS=js GOARCH=wasm` programs: the one flavour `rewrite` takes today.
//!
//! - [`detect`]: the evidence, the Go release, command or HTTP handler, the key-value package.
//! - [`abi`]: every `gojs` import as one table (the support column of `inspect` reads it).
//! - [`check`]: what no option gets past: an unknown Go release, imports or exports outside the
//!   ABI.
//! - the plan (below): command or handler, and which of the three gojs shims.
//! - [`guest`]: the rewrite itself ([`jumps`], `adapters` against the [`wit`] contract).
//! - [`Refusal`]: why a Go module is not rewritten.

pub mod abi;
mod adapters;
pub mod check;
pub mod detect;
pub mod guest;
pub mod jumps;
mod refusal;
pub mod wit;

pub use detect::KV_PACKAGE;
pub use guest::{guest_component, guest_core};
pub use refusal::Refusal;

use crate::frontend::{AppKind, Detection, Frontend, Options, Plan, Timings};
use crate::module::{Import, Input};
use crate::shim::Shim;
use crate::support::Support;

/// The frontend of Go GOOS=js programs.
pub struct GoJs;

/// The shim for Go commands.
pub const SHIM: Shim = Shim { file_name: "gojs_shim.wasm", crate_name: "gojs-shim" };
/// For Go HTTP handlers: the same shim plus the `http` interface (it imports wasi:http, which
/// `wasmtime run` does not provide, hence a separate build).
pub const SHIM_HTTP: Shim = Shim { file_name: "gojs_shim_http.wasm", crate_name: "gojs-shim-http" };
/// For Go HTTP handlers that use the host's key-value stores: the HTTP shim plus `context.kv`
/// over wasi:keyvalue (an import only such programs should carry).
pub const SHIM_HTTP_KV: Shim = Shim { file_name: "gojs_shim_http_kv.wasm", crate_name: "gojs-shim-http-kv" };

impl Frontend for GoJs {
    fn name(&self) -> &'static str {
        "gojs"
    }

    fn describe(&self) -> &'static str {
        "Go GOOS=js GOARCH=wasm program"
    }

    fn rewrites(&self) -> Option<&'static str> {
        Some("Go GOOS=js")
    }

    fn detect(&self, input: &Input) -> Option<Detection> {
        detect::detect(input)
    }

    fn support(&self, _input: &Input, import: &Import) -> Support {
        if abi::is_workers_ready(&import.module, &import.name) {
            return Support::Rewritten {
                by: "gojs shim http.ready (the HTTP handler becomes wasi:http/incoming-handler)".into(),
            };
        }
        if import.module != abi::MODULE {
            return Support::Unsupported {
                reason:
                    "not part of Go's GOOS=js ABI (a //go:wasmimport?): nothing provides it; remove it from the program"
                        .into(),
            };
        }
        match abi::import(&import.name) {
            Some(abi::GoImport { wit: Some((iface, func)), .. }) => {
                Support::Rewritten { by: format!("gojs shim {}.{func}", iface.name()) }
            }
            Some(abi::GoImport { wit: None, .. }) => Support::Rewritten { by: "adapter only (no-op)".into() },
            None => Support::Unsupported {
                reason: "unknown to this rewriter (newer than the Go releases it knows?); rebuild with Go 1.21–1.27"
                    .into(),
            },
        }
    }

    fn check(&self, input: &Input, detection: &Detection) -> Result<(), crate::frontend::Refusal> {
        check::check_abi(&input.info, detection.toolchain.as_ref()).map_err(crate::frontend::Refusal::input)
    }

    fn plan(&self, input: &Input, _detection: &Detection, options: &Options) -> Result<Plan, crate::frontend::Refusal> {
        let detected = detect::app_kind(&input.info);
        let app = options.app.unwrap_or(detected);
        if app == AppKind::Command && detected == AppKind::HttpHandler {
            return Err(crate::frontend::Refusal::input(Refusal::HandlerAsCommand { path: input.path.clone() }));
        }
        let kv = app == AppKind::HttpHandler && (options.kv || detect::uses_kv(input));
        let shim = match (app, kv) {
            (AppKind::Command, _) => SHIM,
            (AppKind::HttpHandler, false) => SHIM_HTTP,
            (AppKind::HttpHandler, true) => SHIM_HTTP_KV,
        };
        let imports_replaced = input
            .info
            .imports
            .iter()
            .filter(|i| i.module == abi::MODULE || abi::is_workers_ready(&i.module, &i.name))
            .count();
        Ok(Plan { app, kv, shim, imports_replaced })
    }

    fn build(&self, input: &Input, plan: &Plan, timings: &mut Timings) -> anyhow::Result<Vec<u8>> {
        guest_component(&input.bytes, plan.app, timings)
    }
}
