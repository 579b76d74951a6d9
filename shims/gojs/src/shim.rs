//! The shim's state and the operation behind each WIT function, mirroring the matching
//! `gojs` import in wasm_exec.js. Kept free of the bindings so it runs in native tests.
//!
//! Nothing here panics or traps on what Go passes: unknown refs load as undefined, wrong types
//! behave as JavaScript would (undefined, or a thrown TypeError where a call is involved).

use crate::args;
use crate::events::Events;
use crate::fs::{self, Fs};
use crate::process::{self, Process};
use crate::table::Table;
use crate::{go, path};
use js_realm::number::{parse_int, to_i64};
use js_realm::realm::key;
use js_realm::sys::{self, Startup};
use js_realm::value::to_js_string;
use js_realm::{date, ByteBuf, Callable, Host, Js, Kind, Obj, Value};

/// How a call into JS ended (WIT `call-status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallStatus {
    Threw,
    Returned,
    /// The callee is a Go function: `_pendingEvent` is set, Go must be resumed.
    ResumeGo,
}

/// The Go side of the shim: the realm every flavour shares ([`Js`]), and what wasm_exec.js
/// and node add for Go.
pub struct Shim {
    /// The realm, clock, event loop (timers, callbacks, host waiters) and library state.
    pub js: Js,
    pub table: Table,
    /// The `Go` instance wasm_exec.js passes as ref 6.
    pub go: Obj,
    /// `fs.Stats.prototype` (isDirectory() and friends).
    pub stats_proto: Obj,
    pub process: Process,
    pub fs: Fs,
    /// Go's side of the event loop (see [`crate::events`]).
    pub events: Events,
    /// Serving HTTP (world gojs-shim-http): Go's side of it (see [`crate::serve`]).
    pub http: crate::serve::GoHttp,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Host for Shim {
    fn js(&mut self) -> &mut Js {
        &mut self.js
    }
}

/// The Go shim behind a native's host (Go's natives are installed only on its realm).
pub fn of(host: &mut dyn Host) -> &mut Shim {
    js_realm::downcast::<Shim>(host)
}

/// A native of Go's side, `f(shim, this, args)`, as the realm calls natives.
macro_rules! go_native {
    ($f:expr) => {
        (|host: &mut dyn js_realm::Host, this: &js_realm::Value, args: &[js_realm::Value]| -> js_realm::JsResult {
            ($f)($crate::shim::of(host), this, args)
        }) as js_realm::NativeFn
    };
}
pub(crate) use go_native;

impl Shim {
    pub fn new(host: Startup) -> Shim {
        date::set_local_zone(host.var("TZ"));
        let mut js = Js::new();
        let realm = &mut js.realm;
        js_web::install(realm);
        process::install(realm, &host);
        fs::install(realm);
        path::install(realm);
        let go = go::new(realm, &host);
        let stats_proto = fs::stats::new_proto(realm);
        let process = Process::new(&host);
        let fs = Fs::new(host.preopens, &process.cwd);
        Shim {
            table: Table::new(&js.realm.global, &go),
            js,
            go,
            stats_proto,
            process,
            fs,
            events: Events::default(),
            http: Default::default(),
            args: host.args,
            env: host.env,
        }
    }

    /// Calls `f(...args)` later, from the event loop (node's asynchronous callbacks).
    pub fn queue_callback(&mut self, f: Obj, args: Vec<Value>) {
        self.js.events.queue_callback(f, args);
    }

    // ---- runtime ----

    /// runtime.wasmExit: node's `process.exit(code)` for a command. An HTTP handler's instance
    /// outlives Go (a Workers program returns from main once its response is done): Go is
    /// marked exited and unwinds back to the request loop, which finishes the response.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub fn wasm_exit(&mut self, code: i32) {
        self.go.set("exited", Value::Bool(true));
        if !self.events.serving {
            sys::exit(code)
        }
        self.http.go_exited = true;
        if code != 0 {
            let _ = sys::write_stderr(format!("gojs http: the Go program exited with code {code}\n").as_bytes());
        }
    }

    /// runtime.wasmWrite: `fs.writeSync(fd, bytes)`; errors are dropped (node would crash on
    /// an uncaught exception, but Go only writes to 1 and 2 here).
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub fn wasm_write(&mut self, fd: i64, bytes: &[u8]) {
        let _ = match fd {
            1 => sys::write_stdout(bytes),
            2 => sys::write_stderr(bytes),
            _ => self.fs.write(fd, bytes, None).map(|_| ()),
        };
    }

    // ---- syscall/js ----

    fn load_args(&self, refs: &[u64]) -> Vec<Value> {
        refs.iter().map(|r| self.table.load(*r)).collect()
    }

    fn stored(&mut self, v: Value, status: CallStatus) -> (u64, CallStatus) {
        (self.table.store(v), status)
    }

    pub fn string_val(&mut self, bytes: &[u8]) -> u64 {
        // TextDecoder semantics: invalid UTF-8 becomes U+FFFD.
        let s = String::from_utf8_lossy(bytes);
        self.table.store(Value::String(s.as_ref().into()))
    }

    pub fn value_get(&mut self, v: u64, property: &[u8]) -> u64 {
        let r = self.table.load(v).get(&key(property));
        self.table.store(r)
    }

    pub fn value_set(&mut self, v: u64, property: &[u8], x: u64) {
        if let Value::Object(o) = self.table.load(v) {
            o.set(&key(property), self.table.load(x));
        }
    }

    pub fn value_delete(&mut self, v: u64, property: &[u8]) {
        if let Value::Object(o) = self.table.load(v) {
            o.delete(&key(property));
        }
    }

    pub fn value_index(&mut self, v: u64, index: i64) -> u64 {
        let r = match self.table.load(v) {
            Value::Object(o) => o.get_index(index),
            _ => Value::Undefined,
        };
        self.table.store(r)
    }

    pub fn value_set_index(&mut self, v: u64, index: i64, x: u64) {
        if let Value::Object(o) = self.table.load(v) {
            o.set_index(index, self.table.load(x));
        }
    }

    /// `v[m](...args)`.
    pub fn value_call(&mut self, v: u64, method: &[u8], args: &[u64]) -> (u64, CallStatus) {
        let this = self.table.load(v);
        let name = key(method);
        let callee = match &this {
            Value::Undefined | Value::Null => {
                let msg = format!("Cannot read properties of {} (reading '{name}')", to_js_string(&this));
                return self.stored(self.js.realm.type_error(&msg), CallStatus::Threw);
            }
            v => v.get(&name),
        };
        let args = self.load_args(args);
        let what = || format!("{}.{name}", describe(&this));
        self.apply(&callee, this.clone(), args, what)
    }

    /// `v(...args)` (with `this` undefined).
    pub fn value_invoke(&mut self, v: u64, args: &[u64]) -> (u64, CallStatus) {
        let callee = self.table.load(v);
        let args = self.load_args(args);
        self.apply(&callee, Value::Undefined, args, || describe(&callee))
    }

    fn apply(
        &mut self,
        callee: &Value,
        this: Value,
        args: Vec<Value>,
        what: impl FnOnce() -> String,
    ) -> (u64, CallStatus) {
        match callee.as_object().and_then(Obj::callable) {
            Some(Callable::Native(f)) => match f(self, &callee.as_object().and_then(Obj::bound).unwrap_or(this), &args)
            {
                Ok(r) => self.stored(r, CallStatus::Returned),
                Err(e) => self.stored(e, CallStatus::Threw),
            },
            Some(Callable::Guest(g)) => {
                self.call_go(g.id, this, args, None);
                (0, CallStatus::ResumeGo)
            }
            None => {
                let e = self.js.realm.type_error(&format!("{} is not a function", what()));
                self.stored(e, CallStatus::Threw)
            }
        }
    }

    /// `new v(...args)`.
    pub fn value_new(&mut self, v: u64, args: &[u64]) -> (u64, CallStatus) {
        let ctor = self.table.load(v);
        let args = self.load_args(args);
        if let Some(o) = ctor.as_object() {
            if let Some(Callable::Guest(g)) = o.callable() {
                // A plain function used as a constructor: `this` inherits from its prototype.
                let proto = match o.get("prototype") {
                    Value::Object(p) => p,
                    _ => self.js.realm.object_proto.clone(),
                };
                let this: Value = Obj::new(Some(&proto), Kind::Ordinary).into();
                self.call_go(g.id, this.clone(), args, Some(this));
                return (0, CallStatus::ResumeGo);
            }
            if let Some(construct) = o.constructor() {
                return match construct(self, &args) {
                    // `new Promise(goExecutor)`: the executor runs now, in Go, before `new`
                    // returns, as in JavaScript.
                    Ok(r) if self.js.events.deferred_guest_call.is_some() => {
                        let (id, args) = self.js.events.deferred_guest_call.take().unwrap();
                        self.call_go(id, Value::Undefined, args, Some(r));
                        (0, CallStatus::ResumeGo)
                    }
                    Ok(r) => self.stored(r, CallStatus::Returned),
                    Err(e) => self.stored(e, CallStatus::Threw),
                };
            }
        }
        let e = self.js.realm.type_error(&format!("{} is not a constructor", describe(&ctor)));
        self.stored(e, CallStatus::Threw)
    }

    /// After `ResumeGo` and Go's `resume`: the Go function's `event.result`.
    pub fn take_callback_result_ref(&mut self) -> (u64, CallStatus) {
        let r = self.take_callback_result();
        self.stored(r, CallStatus::Returned)
    }

    /// `parseInt(v.length)`, with NaN read back as 0 (what `setInt64(NaN)` stores).
    pub fn value_length(&mut self, v: u64) -> i64 {
        let len = match self.table.load(v) {
            Value::Object(o) => o.get("length"),
            Value::String(s) => Value::Number(s.encode_utf16().count() as f64),
            _ => Value::Undefined,
        };
        let n = match len {
            Value::Number(n) if n.is_finite() && n.abs() < 1e21 => n.trunc(),
            other => parse_int(&to_js_string(&other)),
        };
        to_i64(n)
    }

    /// `encoder.encode(String(v))`, kept as a Uint8Array until `value_load_string` copies it.
    pub fn value_prepare_string(&mut self, v: u64) -> (u64, i64) {
        let s = to_js_string(&self.table.load(v)).into_bytes();
        let len = s.len() as i64;
        let bytes = self.js.realm.uint8array(s);
        (self.table.store(bytes.into()), len)
    }

    /// `loadSlice(b).set(str)`: up to `len` prepared bytes.
    pub fn value_load_string(&mut self, v: u64, len: u32) -> Vec<u8> {
        match self.table.load(v) {
            Value::Object(o) => o.bytes().map(|b| b[..b.len().min(len as usize)].to_vec()).unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// `v instanceof t`; false where JS would throw (t not callable).
    pub fn value_instance_of(&mut self, v: u64, t: u64) -> bool {
        match (self.table.load(v), self.table.load(t)) {
            (Value::Object(v), Value::Object(t)) => v.instance_of(&t),
            _ => false,
        }
    }

    /// copyBytesToGo: the first `len` bytes of Uint8Array `src`; None when it is not one.
    pub fn copy_bytes_to_go(&mut self, src: u64, len: u32) -> Option<Vec<u8>> {
        match self.table.load(src) {
            Value::Object(o) => o.bytes().map(|b| b[..b.len().min(len as usize)].to_vec()),
            _ => None,
        }
    }

    /// copyBytesToJS: `src` into the start of Uint8Array `dst`; the count, None when `dst` is
    /// not a Uint8Array.
    pub fn copy_bytes_to_js(&mut self, dst: u64, src: Vec<u8>) -> Option<u32> {
        let Value::Object(o) = self.table.load(dst) else {
            return None;
        };
        let mut b = o.byte_buf()?;
        if src.len() == b.len() {
            // The common whole-buffer case: the bytes lowered for this call become the array's,
            // with no copy (and none made of the zeros they replace).
            *b = ByteBuf::new(src);
            return Some(b.len() as u32);
        }
        let b = b.to_mut();
        let n = src.len().min(b.len());
        b[..n].copy_from_slice(&src[..n]);
        Some(n as u32)
    }

    // ---- lifecycle ----

    /// The argv/env block for `run`, or node's error and exit 1 when it does not fit.
    pub fn prepare_args(&mut self, base: u32) -> args::Block {
        match args::layout(base, &self.args, &self.env) {
            Ok(b) => b,
            Err(msg) => {
                let _ = sys::write_stderr(format!("Error: {msg}\n").as_bytes());
                sys::exit(1)
            }
        }
    }
}

/// How error messages name a value: a well-known object's label, a function's name, else
/// V8's "(intermediate value)".
fn describe(v: &Value) -> String {
    match v {
        Value::Object(o) => {
            let label = o.label();
            if !label.is_empty() {
                return label.to_string();
            }
            match &o.borrow().kind {
                Kind::Function(f) if !f.name.is_empty() => f.name.to_string(),
                _ => "(intermediate value)".to_string(),
            }
        }
        Value::String(s) => format!("\"{s}\""),
        v => to_js_string(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{ID_GLOBAL, ID_GO, NAN_HEAD};
    use js_realm::sys::Startup as Host;

    const GLOBAL: u64 = ((NAN_HEAD | 1) << 32) | ID_GLOBAL as u64;
    const GO: u64 = ((NAN_HEAD | 1) << 32) | ID_GO as u64;

    fn shim() -> Shim {
        Shim::new(Host::for_tests(&["app.wasm", "arg"], &[("HOME", "/root"), ("PWD", "/work")]))
    }

    fn string_of(s: &mut Shim, r: u64) -> String {
        let (p, n) = s.value_prepare_string(r);
        let b = s.value_load_string(p, n as u32);
        s.finalize(p);
        String::from_utf8(b).unwrap()
    }

    impl Shim {
        fn finalize(&mut self, r: u64) {
            self.table.finalize(r as u32)
        }
        fn get(&mut self, v: u64, p: &str) -> u64 {
            self.value_get(v, p.as_bytes())
        }
        fn num(&self, r: u64) -> f64 {
            js_realm::value::to_number(&self.table.load(r))
        }
    }

    #[test]
    fn go_package_init_reads() {
        // What syscall/js, syscall and time read at init.
        let mut s = shim();
        for name in ["Object", "Array", "Uint8Array", "Date", "fs", "process", "path", "crypto"] {
            let r = s.get(GLOBAL, name);
            assert_ne!(r, 0, "{name} missing");
            assert_eq!(
                r >> 32 != NAN_HEAD | 1,
                name.chars().next().unwrap().is_uppercase(),
                "{name}: function vs object flag"
            );
        }
        let fs = s.get(GLOBAL, "fs");
        let constants = s.get(fs, "constants");
        for (name, want) in [
            ("O_WRONLY", 1.0),
            ("O_RDWR", 2.0),
            ("O_CREAT", 64.0),
            ("O_TRUNC", 512.0),
            ("O_APPEND", 1024.0),
            ("O_EXCL", 128.0),
            ("O_DIRECTORY", 65536.0),
        ] {
            let r = s.get(constants, name);
            assert_eq!(f64::from_bits(r), want, "{name} must be a plain number ref");
        }
        let pending = s.get(GO, "_pendingEvent");
        assert_eq!(s.table.load(pending).type_of(), "object"); // null
        let date = s.get(GLOBAL, "Date");
        let (d, st) = s.value_new(date, &[]);
        assert_eq!(st, CallStatus::Returned);
        let (off, st) = s.value_call(d, b"getTimezoneOffset", &[]);
        assert_eq!(st, CallStatus::Returned);
        assert_eq!(s.num(off), 0.0);
        let (t, _) = s.value_call(d, b"getTime", &[]);
        assert!(s.num(t) > 1.7e12);
        let proc = s.get(GLOBAL, "process");
        let (uid, _) = s.value_call(proc, b"getuid", &[]);
        assert_eq!(s.num(uid), 0.0, "root: a sandbox enforces no permission bits");
        assert_eq!(
            {
                let t = s.get(proc, "pid");
                s.num(t)
            },
            -1.0
        );
        assert_eq!(
            {
                let t = s.get(proc, "argv0");
                string_of(&mut s, t)
            },
            "node"
        );
    }

    #[test]
    fn strings_round_trip_and_release() {
        let mut s = shim();
        let r = s.string_val("héllo".as_bytes());
        assert_eq!(r >> 32, NAN_HEAD | 2);
        assert_eq!(string_of(&mut s, r), "héllo");
        assert_eq!(s.value_length(r), 5);
        let bad = s.string_val(&[b'a', 0xff, b'b']);
        assert_eq!(string_of(&mut s, bad), "a\u{fffd}b");
        s.finalize(r);
        s.finalize(bad);
        assert_eq!(s.table.live(), 0, "prepared strings and values released");
        // numbers and specials stringify like JS
        assert_eq!(string_of(&mut s, 0), "undefined");
        assert_eq!(string_of(&mut s, 3.5f64.to_bits()), "3.5");
        assert_eq!(string_of(&mut s, ((NAN_HEAD) << 32) | 3), "true");
        assert_eq!(string_of(&mut s, GLOBAL), "[object Object]");
    }

    #[test]
    fn object_and_array_construction_like_value_of() {
        let mut s = shim();
        let array = s.get(GLOBAL, "Array");
        let (a, st) = s.value_new(array, &[3.0f64.to_bits()]);
        assert_eq!(st, CallStatus::Returned);
        assert_eq!(s.value_length(a), 3);
        let x = s.string_val(b"x");
        s.value_set_index(a, 1, x);
        s.value_set_index(a, 2, 7.0f64.to_bits());
        assert_eq!(string_of(&mut s, a), ",x,7");
        assert_eq!(s.value_index(a, 2), 7.0f64.to_bits());
        assert_eq!(s.value_index(a, 99), 0);
        let object = s.get(GLOBAL, "Object");
        let (o, _) = s.value_new(object, &[]);
        s.value_set(o, b"k", x);
        assert_eq!(s.get(o, "k"), x);
        s.value_delete(o, b"k");
        assert_eq!(s.get(o, "k"), 0);
        assert!(s.value_instance_of(a, array));
        assert!(s.value_instance_of(a, object));
        assert!(!s.value_instance_of(o, array));
        assert!(!s.value_instance_of(x, object));
        assert!(!s.value_instance_of(a, x));
    }

    #[test]
    fn bytes_copy_both_ways() {
        let mut s = shim();
        let u8a = s.get(GLOBAL, "Uint8Array");
        let (buf, _) = s.value_new(u8a, &[4.0f64.to_bits()]);
        assert_eq!(s.copy_bytes_to_js(buf, vec![1, 2, 3, 4]), Some(4));
        assert_eq!(s.copy_bytes_to_go(buf, 2), Some(vec![1, 2]));
        assert_eq!(s.copy_bytes_to_js(buf, vec![9]), Some(1));
        assert_eq!(s.copy_bytes_to_js(buf, vec![5; 10]), Some(4));
        assert_eq!(s.copy_bytes_to_go(buf, 100), Some(vec![5, 5, 5, 5]));
        assert_eq!(s.copy_bytes_to_go(GLOBAL, 4), None);
        assert_eq!(s.copy_bytes_to_js(0, vec![1]), None);
        assert_eq!(s.value_length(buf), 4);
        let (_, st) = s.value_new(u8a, &[(-1.0f64).to_bits()]);
        assert_eq!(st, CallStatus::Threw);
        let (e, st) = s.value_invoke(u8a, &[]);
        assert_eq!(st, CallStatus::Threw);
        assert_eq!(string_of(&mut s, e), "TypeError: Constructor Uint8Array requires 'new'");
    }

    #[test]
    fn missing_methods_throw_type_errors() {
        let mut s = shim();
        let (e, st) = s.value_call(GLOBAL, b"document", &[]);
        assert_eq!(st, CallStatus::Threw);
        assert_eq!(string_of(&mut s, e), "TypeError: globalThis.document is not a function");
        let doc = s.get(GLOBAL, "document");
        assert_eq!(doc, 0, "a missing property is undefined");
        let (e, st) = s.value_call(doc, b"createElement", &[]);
        assert_eq!(st, CallStatus::Threw);
        assert_eq!(string_of(&mut s, e), "TypeError: Cannot read properties of undefined (reading 'createElement')");
        let fs = s.get(GLOBAL, "fs");
        let (e, _) = s.value_call(fs, b"watch", &[]);
        assert_eq!(string_of(&mut s, e), "TypeError: fs.watch is not a function");
        let (e, st) = s.value_new(fs, &[]);
        assert_eq!(st, CallStatus::Threw);
        assert_eq!(string_of(&mut s, e), "TypeError: fs is not a constructor");
        let (_, st) = s.value_invoke(12.0f64.to_bits(), &[]);
        assert_eq!(st, CallStatus::Threw);
        // garbage refs
        assert_eq!(s.value_get(0x7FF8_0001_DEAD_BEEF, b"x"), 0);
        s.value_set(0x7FF8_0001_DEAD_BEEF, b"x", 0);
        s.finalize(0xDEAD_BEEF);
        assert_eq!(s.value_length(0x7FF8_0001_DEAD_BEEF), 0);
        assert_eq!(s.value_load_string(GLOBAL, 10), Vec::<u8>::new());
    }

    #[test]
    fn go_functions_resume_go() {
        let mut s = shim();
        let (f, st) = s.value_call(GO, b"_makeFuncWrapper", &[5.0f64.to_bits()]);
        assert_eq!(st, CallStatus::Returned);
        assert_eq!(f >> 32, NAN_HEAD | 4, "typeof function");
        let arg = s.string_val(b"a");
        let (r, st) = s.value_invoke(f, &[arg]);
        assert_eq!((r, st), (0, CallStatus::ResumeGo));
        let ev = s.get(GO, "_pendingEvent");
        assert_eq!(
            {
                let t = s.get(ev, "id");
                s.num(t)
            },
            5.0
        );
        let args = s.get(ev, "args");
        assert_eq!(s.value_length(args), 1);
        assert_eq!(s.value_index(args, 0), arg);
        // Go's handleEvent: clears _pendingEvent, sets result
        s.value_set(GO, b"_pendingEvent", ((NAN_HEAD) << 32) | 2);
        s.value_set(ev, b"result", 42.0f64.to_bits());
        assert_eq!(s.take_callback_result_ref(), (42.0f64.to_bits(), CallStatus::Returned));
        // as a method: this is the receiver
        let obj = s.get(GLOBAL, "Object");
        let (o, _) = s.value_new(obj, &[]);
        s.value_set(o, b"cb", f);
        assert_eq!(s.value_call(o, b"cb", &[]).1, CallStatus::ResumeGo);
        let ev = s.get(GO, "_pendingEvent");
        assert_eq!(s.get(ev, "this"), o);
        assert_eq!(string_of(&mut s, f).lines().next(), Some("function () {"));
    }

    #[test]
    fn path_resolve_uses_the_emulated_cwd() {
        let mut s = shim();
        let path = s.get(GLOBAL, "path");
        let a = s.string_val(b"x/../y.txt");
        let (r, st) = s.value_call(path, b"resolve", &[a]);
        assert_eq!(st, CallStatus::Returned);
        assert_eq!(string_of(&mut s, r), "/work/y.txt");
        let proc = s.get(GLOBAL, "process");
        let (cwd, _) = s.value_call(proc, b"cwd", &[]);
        assert_eq!(string_of(&mut s, cwd), "/work");
        let (old, _) = s.value_call(proc, b"umask", &[0o077 as f64].map(f64::to_bits));
        assert_eq!(s.num(old), 0o022 as f64);
        let (groups, st) = s.value_call(proc, b"getgroups", &[]);
        assert_eq!(st, CallStatus::Returned);
        assert_eq!(s.value_length(groups), 1);
        let g0 = s.value_index(groups, 0);
        assert_eq!(s.num(g0), 0.0);
        // chdir outside every preopen (there are none here): EACCES, with node's message
        let d = s.string_val(b"/tmp");
        let (e, st) = s.value_call(proc, b"chdir", &[d]);
        assert_eq!(st, CallStatus::Threw);
        assert_eq!(string_of(&mut s, e), "Error: EACCES: permission denied, chdir '/work' -> '/tmp'");
        // "/" is a virtual directory above the preopens; /dev/null is emulated.
        let d = s.string_val(b"/");
        let (_, st) = s.value_call(proc, b"chdir", &[d]);
        assert_eq!(st, CallStatus::Returned);
        let (cwd, _) = s.value_call(proc, b"cwd", &[]);
        assert_eq!(string_of(&mut s, cwd), "/");
        let d = s.string_val(b"dev/null");
        let (e, st) = s.value_call(proc, b"chdir", &[d]);
        assert_eq!(st, CallStatus::Threw);
        assert_eq!(string_of(&mut s, e), "Error: ENOTDIR: not a directory, chdir '/' -> 'dev/null'");
    }

    #[test]
    fn fs_callbacks_are_queued_with_node_errors() {
        let mut s = shim();
        let fs = s.get(GLOBAL, "fs");
        let (cb, _) = s.value_call(GO, b"_makeFuncWrapper", &[9.0f64.to_bits()]);
        let p = s.string_val(b"/etc/passwd");
        let (r, st) = s.value_call(fs, b"stat", &[p, cb]);
        assert_eq!((r, st), (0, CallStatus::Returned), "returns undefined at once");
        assert!(s.next_event());
        let ev = s.get(GO, "_pendingEvent");
        let args = s.get(ev, "args");
        assert_eq!(s.value_length(args), 1);
        let err = s.value_index(args, 0);
        assert_eq!(
            {
                let t = s.get(err, "code");
                string_of(&mut s, t)
            },
            "EACCES"
        );
        assert_eq!(string_of(&mut s, err), "Error: EACCES: permission denied, stat '/etc/passwd'");
        // missing callback: a synchronous TypeError
        let (e, st) = s.value_call(fs, b"stat", &[p]);
        assert_eq!(st, CallStatus::Threw);
        assert_eq!(
            {
                let t = s.get(e, "code");
                string_of(&mut s, t)
            },
            "ERR_INVALID_ARG_TYPE"
        );
        // close of a bad fd
        let (_, st) = s.value_call(fs, b"close", &[42.0f64.to_bits(), cb]);
        assert_eq!(st, CallStatus::Returned);
        s.value_set(GO, b"_pendingEvent", ((NAN_HEAD) << 32) | 2);
        assert!(s.next_event());
        let ev = s.get(GO, "_pendingEvent");
        let args = s.get(ev, "args");
        let err = s.value_index(args, 0);
        assert_eq!(string_of(&mut s, err), "Error: EBADF: bad file descriptor, close");
    }

    #[test]
    fn args_block_from_host() {
        let mut s = shim();
        let b = s.prepare_args(4096);
        assert_eq!(b.argc, 2);
        assert_eq!(&b.bytes[..9], b"app.wasm\0");
    }
}
