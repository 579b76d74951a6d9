//! The intrinsics every global hangs off: `Object`, `Function`, `Array`, `Uint8Array`, the
//! `Error` family and `Date` (constructors with their prototypes, so `instanceof` works), and the
//! helpers natives use to build values and throw errors.

use crate::host::{Extensions, Host};
use crate::value::{
    to_js_string, to_number, ByteBuf, Callable, Function, JsResult, Kind, NativeCtor, NativeFn, Obj, Value,
};
use crate::{date, number};

pub struct Realm {
    pub object_proto: Obj,
    pub function_proto: Obj,
    pub array_proto: Obj,
    pub uint8array_proto: Obj,
    pub error_proto: Obj,
    pub type_error_proto: Obj,
    pub range_error_proto: Obj,
    pub date_proto: Obj,
    pub global: Obj,
    /// Prototypes of the classes libraries above the realm add (js-web's Promise, Headers, …),
    /// one struct per library, found by type. Filled when the library is installed; read-only
    /// afterwards.
    pub classes: Extensions,
}

impl Default for Realm {
    fn default() -> Realm {
        Realm::new()
    }
}

impl Realm {
    /// The intrinsics, with an empty `globalThis` the globals are added to.
    pub fn new() -> Realm {
        let object_proto = Obj::new(None, Kind::Ordinary);
        let function_proto = Obj::new(Some(&object_proto), Kind::Ordinary);
        let proto = || Obj::new(Some(&object_proto), Kind::Ordinary);
        let error_proto = proto();
        let realm = Realm {
            array_proto: proto(),
            uint8array_proto: proto(),
            type_error_proto: Obj::new(Some(&error_proto), Kind::Ordinary),
            range_error_proto: Obj::new(Some(&error_proto), Kind::Ordinary),
            date_proto: proto(),
            global: proto().with_label("globalThis"),
            classes: Extensions::default(),
            error_proto,
            object_proto,
            function_proto,
        };
        realm.install_intrinsics();
        realm
    }

    fn install_intrinsics(&self) {
        let g = &self.global;
        g.set("globalThis", g.clone().into());
        self.constructor("Object", &self.object_proto, object_call, object_construct);
        self.constructor("Function", &self.function_proto, not_supported, |s, _| {
            not_supported(s, &Value::Undefined, &[])
        });
        self.constructor("Array", &self.array_proto, |s, _, a| array_construct(s, a), array_construct);
        // What Go code uses to take a list in one call (httpserve: a request's headers).
        self.method(&self.array_proto, "join", array_join);
        self.constructor("Uint8Array", &self.uint8array_proto, uint8array_call, uint8array_construct);
        for (name, proto, call, construct) in [
            ("Error", &self.error_proto, error_call as NativeFn, error_construct as NativeCtor),
            ("TypeError", &self.type_error_proto, type_error_call, type_error_construct),
            ("RangeError", &self.range_error_proto, range_error_call, range_error_construct),
        ] {
            self.constructor(name, proto, call, construct);
            proto.set("name", Value::str(name));
            proto.set("message", Value::str(""));
        }
        self.method(&self.error_proto, "toString", error_to_string);

        let date = self.constructor("Date", &self.date_proto, date::call, date::construct);
        self.method(&date, "now", date::date_now);
        self.method(&self.date_proto, "getTimezoneOffset", date::get_timezone_offset);
        self.method(&self.date_proto, "getTime", date::get_time);
        self.method(&self.date_proto, "valueOf", date::get_time);
        self.method(&self.date_proto, "toString", date::to_string);
        self.method(&self.date_proto, "toISOString", date::to_iso);
    }

    /// A native function object.
    pub fn function(&self, name: &str, f: NativeFn) -> Obj {
        let kind =
            Kind::Function(Function { name: name.into(), call: Callable::Native(f), construct: None, bound: None });
        Obj::new(Some(&self.function_proto), kind)
    }

    /// A native closure: `f` is called with `data` as `this`.
    pub fn bound_function(&self, name: &str, f: NativeFn, data: Value) -> Obj {
        let kind = Kind::Function(Function {
            name: name.into(),
            call: Callable::Native(f),
            construct: None,
            bound: Some(data),
        });
        Obj::new(Some(&self.function_proto), kind)
    }

    /// `obj[name] = function name() {…}`.
    pub fn method(&self, obj: &Obj, name: &str, f: NativeFn) {
        obj.set(name, self.function(name, f).into());
    }

    /// A global constructor `name` with `prototype` ↔ `constructor` links.
    pub fn constructor(&self, name: &str, proto: &Obj, call: NativeFn, construct: NativeCtor) -> Obj {
        let kind = Kind::Function(Function {
            name: name.into(),
            call: Callable::Native(call),
            construct: Some(construct),
            bound: None,
        });
        let ctor = Obj::new(Some(&self.function_proto), kind);
        ctor.set("prototype", proto.clone().into());
        proto.set("constructor", ctor.clone().into());
        self.global.set(name, ctor.clone().into());
        ctor
    }

    /// A plain object inheriting from `Object.prototype`, for a library's prototypes.
    pub fn proto(&self) -> Obj {
        self.object()
    }

    pub fn object(&self) -> Obj {
        Obj::new(Some(&self.object_proto), Kind::Ordinary)
    }

    /// An object with the given own properties.
    pub fn object_with(&self, label: &'static str, props: impl IntoIterator<Item = (&'static str, Value)>) -> Obj {
        let o = self.object().with_label(label);
        for (k, v) in props {
            o.set(k, v);
        }
        o
    }

    pub fn array(&self, items: Vec<Value>) -> Obj {
        Obj::new(Some(&self.array_proto), Kind::Array(items))
    }

    pub fn uint8array(&self, bytes: impl Into<ByteBuf>) -> Obj {
        Obj::new(Some(&self.uint8array_proto), Kind::Bytes(bytes.into()))
    }

    /// `new Error(message)` (or a subclass, by prototype).
    pub fn error(&self, proto: &Obj, message: &str) -> Obj {
        let e = Obj::new(Some(proto), Kind::Error);
        e.set("message", Value::str(message));
        e
    }
}

/// `args[i]`, undefined when absent (JS arguments).
pub fn arg(args: &[Value], i: usize) -> Value {
    args.get(i).cloned().unwrap_or_default()
}

impl Realm {
    /// `new TypeError(message)`.
    pub fn type_error(&self, message: &str) -> Value {
        self.error(&self.type_error_proto, message).into()
    }

    /// `new RangeError(message)`.
    pub fn range_error(&self, message: &str) -> Value {
        self.error(&self.range_error_proto, message).into()
    }
}

/// `new TypeError(message)`, for natives.
pub fn type_error(host: &mut dyn Host, message: &str) -> Value {
    host.js().realm.type_error(message)
}

/// `new RangeError(message)`, for natives.
pub fn throw_range_error(host: &mut dyn Host, message: &str) -> Value {
    host.js().realm.range_error(message)
}

/// node's ERR_INVALID_ARG_TYPE: a TypeError with `code`.
pub fn invalid_arg_type(realm: &Realm, name: &str, expected: &str, got: &Value) -> Value {
    let received = match got {
        Value::Undefined => "undefined".to_string(),
        Value::Null => "null".to_string(),
        Value::Object(o) if o.is_callable() => "function".to_string(),
        Value::Object(_) => "an instance of Object".to_string(),
        Value::String(s) => format!("type string ('{s}')"),
        v => format!("type {} ({})", v.type_of(), to_js_string(v)),
    };
    let msg = format!("The \"{name}\" argument must be {expected}. Received {received}");
    let e = realm.error(&realm.type_error_proto, &msg);
    e.set("code", Value::str("ERR_INVALID_ARG_TYPE"));
    e.into()
}

/// `Function(…)`: the realm has no JavaScript compiler.
fn not_supported(host: &mut dyn Host, _this: &Value, _args: &[Value]) -> JsResult {
    Err(type_error(host, "Code generation from strings disallowed for this context"))
}

/// `Object(x)` / `new Object(x)`: `x` itself when it is an object, else a new empty object.
fn object_call(host: &mut dyn Host, _this: &Value, args: &[Value]) -> JsResult {
    object_construct(host, args)
}

fn object_construct(host: &mut dyn Host, args: &[Value]) -> JsResult {
    match args.first() {
        Some(v @ Value::Object(_)) => Ok(v.clone()),
        _ => Ok(host.js().realm.object().into()),
    }
}

/// `new Array(n)` (n holes) or `new Array(a, b, …)`; `Array(…)` is the same.
fn array_construct(host: &mut dyn Host, args: &[Value]) -> JsResult {
    if let [Value::Number(n)] = args {
        let len = *n;
        if len < 0.0 || len.fract() != 0.0 || len >= u32::MAX as f64 + 1.0 {
            return Err(throw_range_error(host, "Invalid array length"));
        }
        let mut items = Vec::new();
        if !crate::value::resize_values(&mut items, len as usize) {
            return Err(throw_range_error(host, "Invalid array length"));
        }
        return Ok(host.js().realm.array(items).into());
    }
    Ok(host.js().realm.array(args.to_vec()).into())
}

/// `Array.prototype.join(separator = ",")`.
fn array_join(host: &mut dyn Host, this: &Value, args: &[Value]) -> JsResult {
    let separator = match arg(args, 0) {
        Value::Undefined => ",".to_string(),
        v => to_js_string(&v),
    };
    match this.as_object().and_then(|a| crate::value::join(a, &separator)) {
        Some(s) => Ok(Value::str(&s)),
        None => Err(type_error(host, "Array.prototype.join called on a non-array")),
    }
}

fn uint8array_call(host: &mut dyn Host, _this: &Value, _args: &[Value]) -> JsResult {
    Err(type_error(host, "Constructor Uint8Array requires 'new'"))
}

/// `new Uint8Array()`, `new Uint8Array(length)`, `new Uint8Array(arrayLike)`.
fn uint8array_construct(host: &mut dyn Host, args: &[Value]) -> JsResult {
    let bytes = match args.first() {
        None | Some(Value::Undefined) => ByteBuf::new(Vec::new()),
        Some(Value::Object(o)) => match o.elements() {
            Some(items) => ByteBuf::new(items.iter().map(|v| number::to_uint8(to_number(v))).collect()),
            None => match o.get("length") {
                Value::Undefined => ByteBuf::new(Vec::new()),
                len => ByteBuf::Zeroed(zeroed_len(host, to_number(&len))?),
            },
        },
        Some(v) => ByteBuf::Zeroed(zeroed_len(host, to_number(v))?),
    };
    Ok(host.js().realm.uint8array(bytes).into())
}

/// ToIndex(len), for that many zero bytes (made on first use: value::ByteBuf); a RangeError
/// (never an abort) when it is invalid or more than a buffer can ever hold.
fn zeroed_len(host: &mut dyn Host, len: f64) -> Result<usize, Value> {
    let len = if len.is_nan() { 0.0 } else { len.trunc() };
    if !(0.0..=9_007_199_254_740_991.0).contains(&len) {
        return Err(throw_range_error(host, &format!("Invalid typed array length: {}", number::number_to_string(len))));
    }
    // A Vec holds at most isize::MAX bytes (2 GiB on wasm32). A length below that which the
    // host's memory cannot hold traps when the bytes are made, with the host's memory limit
    // named, as it would have when they were made here.
    if len > isize::MAX as f64 {
        return Err(throw_range_error(host, "Array buffer allocation failed"));
    }
    Ok(len as usize)
}

fn make_error(proto: &Obj, args: &[Value]) -> Value {
    let e = Obj::new(Some(proto), Kind::Error);
    if let Some(m) = args.first().filter(|m| !matches!(m, Value::Undefined)) {
        e.set("message", Value::str(&to_js_string(m)));
    }
    e.into()
}

fn error_call(host: &mut dyn Host, _this: &Value, args: &[Value]) -> JsResult {
    error_construct(host, args)
}
fn error_construct(host: &mut dyn Host, args: &[Value]) -> JsResult {
    Ok(make_error(&host.js().realm.error_proto, args))
}
fn type_error_call(host: &mut dyn Host, _this: &Value, args: &[Value]) -> JsResult {
    type_error_construct(host, args)
}
fn type_error_construct(host: &mut dyn Host, args: &[Value]) -> JsResult {
    Ok(make_error(&host.js().realm.type_error_proto, args))
}
fn range_error_call(host: &mut dyn Host, _this: &Value, args: &[Value]) -> JsResult {
    range_error_construct(host, args)
}
fn range_error_construct(host: &mut dyn Host, args: &[Value]) -> JsResult {
    Ok(make_error(&host.js().realm.range_error_proto, args))
}

/// `Error.prototype.toString`.
fn error_to_string(host: &mut dyn Host, this: &Value, _args: &[Value]) -> JsResult {
    match this {
        Value::Object(o) if matches!(o.borrow().kind, Kind::Error) => Ok(Value::str(&to_js_string(this))),
        Value::Object(o) => {
            // Generic objects: name and message read the same way.
            let e = Obj::new(None, Kind::Error);
            for k in ["name", "message"] {
                e.set(k, o.get(k));
            }
            if matches!(e.get("name"), Value::Undefined) {
                e.set("name", Value::str("Error"));
            }
            Ok(Value::str(&to_js_string(&e.into())))
        }
        _ => Err(type_error(host, "Error.prototype.toString requires that 'this' be an Object")),
    }
}

/// A property key from Go's bytes: UTF-8, invalid sequences replaced as TextDecoder does.
pub fn key(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}
