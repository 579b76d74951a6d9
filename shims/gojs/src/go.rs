//! The `Go` instance wasm_exec.js hands Go as ref 6 (`jsGo` in syscall/js): Go reads and
//! clears `_pendingEvent` in `handleEvent` and makes its `js.FuncOf` functions with
//! `_makeFuncWrapper(id)`.

use crate::realm::{arg, Realm};
use crate::shim::Shim;
use crate::sys::Host;
use crate::value::{to_number, Callable, Function, JsResult, Kind, Obj, Value};

pub fn install(realm: &Realm, host: &Host) {
    let go = &realm.go;
    // `this._pendingEvent = null` in the constructor: Go's handleEvent tests IsNull.
    go.set("_pendingEvent", Value::Null);
    go.set("exited", Value::Bool(false));
    go.set(
        "argv",
        realm
            .array(host.args.iter().map(|a| Value::str(a)).collect())
            .into(),
    );
    let env = realm.object();
    for (k, v) in &host.env {
        env.set(k, Value::str(v));
    }
    go.set("env", env.into());
    realm.method(go, "_makeFuncWrapper", make_func_wrapper);
}

/// `_makeFuncWrapper(id)`: a function that, when called, sets `_pendingEvent` to
/// `{ id, this, args }`, resumes Go and returns `event.result`.
fn make_func_wrapper(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    let id = to_number(&arg(args, 0));
    let id = if id.is_finite() { id as i64 as u32 } else { 0 };
    let kind = Kind::Function(Function {
        name: "".into(),
        call: Callable::Go(id),
        construct: None,
        bound: None,
    });
    Ok(Obj::new(Some(&shim.realm.function_proto), kind).into())
}
