//! Go's `GOOS=js` ABI as one data table: every `gojs` import, the Go signature it stands for,
//! and the shim function that implements it. Used by the adapter generator, by `inspect`'s
//! support column and by the tests. The frame offsets are those of
//! `$GOROOT/lib/wasm/wasm_exec.js`; they have not changed from Go 1.21 to 1.27.

/// The import module of Go ≥ 1.21 (`go` before).
pub const MODULE: &str = "gojs";

/// Go releases whose ABI this rewriter has been checked against (conformance runs each).
pub const KNOWN_GO_MINORS: std::ops::RangeInclusive<u32> = 21..=27;

/// The exports Go's linker gives every GOOS=js module.
pub const EXPORT_RUN: &str = "run";
pub const EXPORT_RESUME: &str = "resume";
pub const EXPORT_GETSP: &str = "getsp";
pub const EXPORT_MEMORY: &str = "mem";

/// The HTTP handler contract of the Workers ports of Go (`github.com/syumai/workers`, and
/// `wasm-server-bindgen/gojs/httpserve`): the program imports `workers.ready`, which it calls
/// once it has set `handleRequest` on the binding object the host passed in.
pub const WORKERS_MODULE: &str = "workers";
pub const WORKERS_READY: &str = "ready";

/// The direct request path of `wasm-server-bindgen/gojs/httpserve` built with Go 1.24+
/// (`//go:wasmexport`; see its direct.go): a request goes into Go as bytes, its body as Go pulls
/// it, and its response comes back as records, bypassing syscall/js. Used when all five are
/// exported (HTTP_DIRECT_EXPORTS).
pub const EXPORT_HTTP_BUFFER: &str = "wsb_http_buffer";
pub const EXPORT_HTTP_REQUEST: &str = "wsb_http_request";
pub const EXPORT_HTTP_BODY: &str = "wsb_http_body";
pub const EXPORT_HTTP_TAKE: &str = "wsb_http_take";
pub const EXPORT_HTTP_CANCEL: &str = "wsb_http_cancel";

/// The direct path's exports with their core types (as `ExportType::describe` writes them).
pub const HTTP_DIRECT_EXPORTS: [(&str, &str); 5] = [
    (EXPORT_HTTP_BUFFER, "(i32) -> i32"),
    (EXPORT_HTTP_REQUEST, "(i32, i32)"),
    (EXPORT_HTTP_BODY, "(i32, i32, i32)"),
    (EXPORT_HTTP_TAKE, "() -> i64"),
    (EXPORT_HTTP_CANCEL, "(i32)"),
];

/// Whether an import is the Workers contract's `ready`.
pub fn is_workers_ready(module: &str, name: &str) -> bool {
    module == WORKERS_MODULE && name == WORKERS_READY
}

/// One `gojs` import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoImport {
    /// The import name, e.g. `syscall/js.valueCall`.
    pub name: &'static str,
    /// The Go declaration, for messages and docs.
    pub go_signature: &'static str,
    /// The WIT interface and function it becomes (`None`: handled in the adapter alone).
    pub wit: Option<(Interface, &'static str)>,
}

/// The shim interfaces of `wit/gojs/gojs.wit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Interface {
    Runtime,
    Js,
    Lifecycle,
    /// HTTP handlers only.
    Http,
}

impl Interface {
    pub fn name(self) -> &'static str {
        match self {
            Self::Runtime => "runtime",
            Self::Js => "js",
            Self::Lifecycle => "lifecycle",
            Self::Http => "http",
        }
    }
    /// The core import module the component model uses for this interface.
    pub fn import_module(self) -> String {
        format!("{}/{}@{}", WIT_PACKAGE, self.name(), WIT_VERSION)
    }
}

pub const WIT_PACKAGE: &str = "wasm-server-bindgen:gojs";
pub const WIT_VERSION: &str = "0.1.0";

use Interface::{Js, Runtime};

/// Every import wasm_exec.js provides (Go's linker drops the ones a program does not use).
pub const IMPORTS: [GoImport; 24] = [
    GoImport { name: "runtime.wasmExit", go_signature: "func wasmExit(code int32)", wit: Some((Runtime, "wasm-exit")) },
    GoImport {
        name: "runtime.wasmWrite",
        go_signature: "func wasmWrite(fd uintptr, p unsafe.Pointer, n int32)",
        wit: Some((Runtime, "wasm-write")),
    },
    GoImport { name: "runtime.resetMemoryDataView", go_signature: "func resetMemoryDataView()", wit: None },
    GoImport { name: "runtime.nanotime1", go_signature: "func nanotime1() int64", wit: Some((Runtime, "nanotime")) },
    GoImport {
        name: "runtime.walltime",
        go_signature: "func walltime() (sec int64, nsec int32)",
        wit: Some((Runtime, "walltime")),
    },
    GoImport {
        name: "runtime.scheduleTimeoutEvent",
        go_signature: "func scheduleTimeoutEvent(delay int64) int32",
        wit: Some((Runtime, "schedule-timeout-event")),
    },
    GoImport {
        name: "runtime.clearTimeoutEvent",
        go_signature: "func clearTimeoutEvent(id int32)",
        wit: Some((Runtime, "clear-timeout-event")),
    },
    GoImport {
        name: "runtime.getRandomData",
        go_signature: "func getRandomData(r []byte)",
        wit: Some((Runtime, "get-random-data")),
    },
    GoImport {
        name: "syscall/js.finalizeRef",
        go_signature: "func finalizeRef(v ref)",
        wit: Some((Js, "finalize-ref")),
    },
    GoImport {
        name: "syscall/js.stringVal",
        go_signature: "func stringVal(value string) ref",
        wit: Some((Js, "string-val")),
    },
    GoImport {
        name: "syscall/js.valueGet",
        go_signature: "func valueGet(v ref, p string) ref",
        wit: Some((Js, "value-get")),
    },
    GoImport {
        name: "syscall/js.valueSet",
        go_signature: "func valueSet(v ref, p string, x ref)",
        wit: Some((Js, "value-set")),
    },
    GoImport {
        name: "syscall/js.valueDelete",
        go_signature: "func valueDelete(v ref, p string)",
        wit: Some((Js, "value-delete")),
    },
    GoImport {
        name: "syscall/js.valueIndex",
        go_signature: "func valueIndex(v ref, i int) ref",
        wit: Some((Js, "value-index")),
    },
    GoImport {
        name: "syscall/js.valueSetIndex",
        go_signature: "func valueSetIndex(v ref, i int, x ref)",
        wit: Some((Js, "value-set-index")),
    },
    GoImport {
        name: "syscall/js.valueCall",
        go_signature: "func valueCall(v ref, m string, args []ref) (ref, bool)",
        wit: Some((Js, "value-call")),
    },
    GoImport {
        name: "syscall/js.valueInvoke",
        go_signature: "func valueInvoke(v ref, args []ref) (ref, bool)",
        wit: Some((Js, "value-invoke")),
    },
    GoImport {
        name: "syscall/js.valueNew",
        go_signature: "func valueNew(v ref, args []ref) (ref, bool)",
        wit: Some((Js, "value-new")),
    },
    GoImport {
        name: "syscall/js.valueLength",
        go_signature: "func valueLength(v ref) int",
        wit: Some((Js, "value-length")),
    },
    GoImport {
        name: "syscall/js.valuePrepareString",
        go_signature: "func valuePrepareString(v ref) (ref, int)",
        wit: Some((Js, "value-prepare-string")),
    },
    GoImport {
        name: "syscall/js.valueLoadString",
        go_signature: "func valueLoadString(v ref, b []byte)",
        wit: Some((Js, "value-load-string")),
    },
    GoImport {
        name: "syscall/js.valueInstanceOf",
        go_signature: "func valueInstanceOf(v ref, t ref) bool",
        wit: Some((Js, "value-instance-of")),
    },
    GoImport {
        name: "syscall/js.copyBytesToGo",
        go_signature: "func copyBytesToGo(dst []byte, src ref) (int, bool)",
        wit: Some((Js, "copy-bytes-to-go")),
    },
    GoImport {
        name: "syscall/js.copyBytesToJS",
        go_signature: "func copyBytesToJS(dst ref, src []byte) (int, bool)",
        wit: Some((Js, "copy-bytes-to-js")),
    },
];

/// Looks up an import by its `gojs` name.
pub fn import(name: &str) -> Option<&'static GoImport> {
    IMPORTS.iter().find(|i| i.name == name)
}

/// Parses `go1.N[.M]` into N (the minor release).
pub fn go_minor(version: &str) -> Option<u32> {
    let rest = version.strip_prefix("go1.")?;
    rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_minor_parses_release_strings() {
        assert_eq!(go_minor("go1.27.3"), Some(27));
        assert_eq!(go_minor("go1.21"), Some(21));
        assert_eq!(go_minor("go1.22rc1"), Some(22));
        assert_eq!(go_minor("devel"), None);
    }

    #[test]
    fn import_names_are_unique() {
        for (i, a) in IMPORTS.iter().enumerate() {
            assert!(IMPORTS[i + 1..].iter().all(|b| b.name != a.name), "{}", a.name);
        }
    }
}
