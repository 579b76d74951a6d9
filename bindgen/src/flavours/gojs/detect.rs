//! Telling a Go GOOS=js module: its imports (module `gojs`, `go` before Go 1.21), Go's exports
//! and build id, the Go release (producers section, else runtime.buildVersion in the data), and
//! what the program is for (a command, or an HTTP handler on the Workers fetch contract).

use super::abi;
use crate::frontend::{App, AppKind, Detection, Toolchain};
use crate::module::{find, Input, ModuleInfo};

/// The Go package whose use means the program wants the host's key-value stores.
pub const KV_PACKAGE: &str = "wasm-server-bindgen/gojs/kv";

pub fn detect(input: &Input) -> Option<Detection> {
    let info = &input.info;
    let count = |pred: &dyn Fn(&str, &str) -> bool| info.imports.iter().filter(|i| pred(&i.module, &i.name)).count();
    // Module `gojs` since Go 1.21; `go` before (the same functions, renamed).
    let gojs = count(&|m, _| m == abi::MODULE);
    let old_go = count(&|m, n| m == "go" && (n.starts_with("runtime.") || n.starts_with("syscall/js.")));
    if gojs == 0 && old_go == 0 {
        return None;
    }
    let mut evidence = Vec::new();
    if gojs > 0 {
        evidence.push(format!("imports {gojs} functions from module \"gojs\""));
    } else {
        evidence.push(format!("imports {old_go} functions from module \"go\" (the Go ≤ 1.20 name of \"gojs\")"));
    }
    let go_exports: Vec<&str> = ["run", "resume", "getsp"].into_iter().filter(|e| info.has_export(e)).collect();
    if !go_exports.is_empty() {
        evidence.push(format!("exports {}", go_exports.join(", ")));
    }
    if info.has_custom_section("go:buildid") {
        evidence.push("has a go:buildid custom section".into());
    }
    let kind = app_kind(info);
    let mut notes = Vec::new();
    let mut key_value_stores = None;
    let how = match kind {
        AppKind::Command => "runs main and exits",
        AppKind::HttpHandler => {
            evidence.push(
                "imports workers.ready: an HTTP handler on the Workers fetch contract (github.com/syumai/workers or wasm-server-bindgen/gojs/httpserve)".into(),
            );
            if info.has_export(abi::EXPORT_HTTP_REQUEST) {
                notes.push("direct path: requests go into Go as bytes (bodies as the handler reads them), bypassing syscall/js (wasm-server-bindgen/gojs/httpserve, Go 1.24+)".into());
            }
            let kv = uses_kv(input);
            if kv {
                notes.push(format!("uses: key-value stores ({KV_PACKAGE}; rewrite adds wasi:keyvalue)"));
            }
            key_value_stores = Some(kv);
            "serves requests through binding.handleRequest"
        }
    };
    Some(Detection {
        evidence,
        toolchain: Some(toolchain(input)),
        app: Some(App { kind, how: how.into() }),
        key_value_stores,
        notes,
    })
}

/// What a Go GOOS=js program is for, read from its imports: an HTTP handler on the Workers
/// fetch contract imports `workers.ready`; anything else is a command (wasm_exec_node.js's
/// model: `main` runs, the program exits).
pub fn app_kind(info: &ModuleInfo) -> AppKind {
    if info.imports.iter().any(|i| abi::is_workers_ready(&i.module, &i.name)) {
        AppKind::HttpHandler
    } else {
        AppKind::Command
    }
}

/// Whether the program uses [`KV_PACKAGE`]: the Go linker keeps the name of every function it
/// links in the runtime's function-name table (`wasm-server-bindgen/gojs/kv.Open`, in a data
/// segment; tracebacks need it, so `-ldflags=-s` keeps it too), and drops the package's
/// functions when the program does not call them.
pub fn uses_kv(input: &Input) -> bool {
    let name = format!("{KV_PACKAGE}.");
    input.data_segments().any(|data| find(data, name.as_bytes()).is_some())
}

fn toolchain(input: &Input) -> Toolchain {
    if let Some(p) = input.info.producer("language", "Go") {
        return Toolchain { name: "Go".into(), version: Some(p.version.clone()), source: "producers section".into() };
    }
    if let Some(v) = input.data_segments().find_map(find_go_version) {
        return Toolchain {
            name: "Go".into(),
            version: Some(v),
            source: "runtime.buildVersion in a data segment".into(),
        };
    }
    Toolchain {
        name: "Go".into(),
        version: None,
        source: "no producers section and no go1.N string in the data".into(),
    }
}

/// `go1.N` or `go1.N.M`, as a whole word (runtime.buildVersion).
fn find_go_version(data: &[u8]) -> Option<String> {
    let mut from = 0;
    while let Some(pos) = find(&data[from..], b"go1.") {
        let start = from + pos;
        let end = start + 4 + data[start + 4..].iter().take_while(|b| b.is_ascii_digit() || **b == b'.').count();
        let word_before = start > 0 && data[start - 1].is_ascii_alphanumeric();
        let word_after = data.get(end).is_some_and(|b| b.is_ascii_alphanumeric());
        let text = &data[start..end];
        if !word_before && !word_after && end > start + 4 && !text.ends_with(b".") {
            return Some(String::from_utf8_lossy(text).into_owned());
        }
        from = start + 4;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_version_is_a_whole_word() {
        assert_eq!(find_go_version(b"xgo1.2 go1.27.3\0"), Some("go1.27.3".into()));
        assert_eq!(find_go_version(b"go1.21\0"), Some("go1.21".into()));
        assert_eq!(find_go_version(b"go1. go1.x"), None);
    }
}
