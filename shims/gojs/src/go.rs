//! The `Go` instance wasm_exec.js hands Go as ref 6 (`jsGo` in syscall/js): Go reads and
//! clears `_pendingEvent` in `handleEvent` and makes its `js.FuncOf` functions with
//! `_makeFuncWrapper(id)`.

use crate::shim::{go_native, Shim};
use js_realm::sys::Startup;
use js_realm::value::to_number;
use js_realm::{arg, Callable, Function, GuestFn, JsResult, Kind, Obj, Realm, Value};

/// The source text node prints for a `_makeFuncWrapper` function (wasm_exec.js, verbatim).
const WRAPPER_SOURCE: &str = "function () {\n\t\t\t\tconst event = { id: id, this: this, args: arguments };\n\t\t\t\tgo._pendingEvent = event;\n\t\t\t\tgo._resume();\n\t\t\t\treturn event.result;\n\t\t\t}";

/// The Go instance (not a global: Go reaches it as ref 6).
pub fn new(realm: &Realm, host: &Startup) -> Obj {
    let go = realm.object().with_label("go");
    // `this._pendingEvent = null` in the constructor: Go's handleEvent tests IsNull.
    go.set("_pendingEvent", Value::Null);
    go.set("exited", Value::Bool(false));
    go.set("argv", realm.array(host.args.iter().map(|a| Value::str(a)).collect()).into());
    let env = realm.object();
    for (k, v) in &host.env {
        env.set(k, Value::str(v));
    }
    go.set("env", env.into());
    realm.method(&go, "_makeFuncWrapper", go_native!(make_func_wrapper));
    go
}

/// A Go function: calling it hands Go an event (see `Shim::call_go`).
pub fn func(realm: &Realm, id: u32) -> Obj {
    let kind = Kind::Function(Function {
        name: "".into(),
        call: Callable::Guest(GuestFn { id, source: WRAPPER_SOURCE }),
        construct: None,
        bound: None,
    });
    Obj::new(Some(&realm.function_proto), kind)
}

/// `_makeFuncWrapper(id)`: a function that, when called, sets `_pendingEvent` to
/// `{ id, this, args }`, resumes Go and returns `event.result`.
fn make_func_wrapper(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    let id = to_number(&arg(args, 0));
    let id = if id.is_finite() { id as i64 as u32 } else { 0 };
    Ok(func(&shim.js.realm, id).into())
}
