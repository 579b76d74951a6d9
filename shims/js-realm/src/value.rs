//! A small JavaScript object model: the values a guest's glue can see (Go's `syscall/js`,
//! wasm-bindgen's heap, .NET's marshalled objects) and the property semantics of
//! `Reflect.get`/`Reflect.set`/`Reflect.deleteProperty`, `String(v)` and `ToNumber(v)` that
//! the toolchains' JS glue applies to them.
//!
//! Objects are `Rc<RefCell<…>>` with identity by address (wasm_exec.js keys `_ids` by object
//! identity). The realm is single-threaded and never re-enters the guest while a borrow is held.
//!
//! Two things are open to the libraries and guests above the realm: [`HostData`], the state of
//! a web object (a Promise, a stream, a key-value store …), which any crate can define; and
//! [`Callable::Guest`], a function the guest made (Go's `js.FuncOf`), which the realm never runs
//! itself but hands to the embedding (see [`crate::Host`]).

use std::any::Any;
use std::cell::{Ref, RefCell, RefMut};
use std::rc::Rc;

use crate::host::Host;
use crate::number::{string_to_number, to_uint8, write_number};

pub type JsStr = Rc<str>;

/// What a native function returns: a value, or a thrown value.
pub type JsResult = Result<Value, Value>;

/// A function implemented in Rust: `(host, this, args)`. The host is the embedding (a flavour's
/// shim); natives of the realm reach the realm through [`Host::js`], a flavour's natives their
/// own state by downcasting (see [`crate::host::downcast`]).
pub type NativeFn = fn(&mut dyn Host, &Value, &[Value]) -> JsResult;

/// `new F(...args)` for a native constructor.
pub type NativeCtor = fn(&mut dyn Host, &[Value]) -> JsResult;

#[derive(Clone, Default)]
pub enum Value {
    #[default]
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    String(JsStr),
    Object(Obj),
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::String(s.into())
    }

    pub fn as_object(&self) -> Option<&Obj> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    pub fn is_nullish(&self) -> bool {
        matches!(self, Value::Undefined | Value::Null)
    }

    /// `typeof v`.
    pub fn type_of(&self) -> &'static str {
        match self {
            Value::Undefined => "undefined",
            Value::Null => "object",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Object(o) if o.is_callable() => "function",
            Value::Object(_) => "object",
        }
    }

    /// `Reflect.get(v, key)`, or undefined when `v` is not an object (where JS would throw).
    #[inline]
    pub fn get(&self, key: &str) -> Value {
        match self {
            Value::Object(o) => o.get(key),
            _ => Value::Undefined,
        }
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Value {
        Value::Number(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<Obj> for Value {
    fn from(o: Obj) -> Value {
        Value::Object(o)
    }
}

#[derive(Clone)]
pub struct Obj(Rc<RefCell<ObjectData>>);

pub struct ObjectData {
    pub proto: Option<Obj>,
    /// Own string-keyed properties in insertion order.
    pub props: Vec<(JsStr, Value)>,
    pub kind: Kind,
    /// What error messages call this object ("fs", "process"), when it is a well-known one.
    pub label: &'static str,
}

pub enum Kind {
    Ordinary,
    Array(Vec<Value>),
    /// A Uint8Array with its own buffer (no shared ArrayBuffers: Go never asks for one).
    Bytes(ByteBuf),
    Error,
    /// A Date: milliseconds since the epoch (NaN for an invalid date).
    Date(f64),
    Function(Function),
    /// Promises, Headers, streams and other objects whose state lives in Rust (see
    /// [`HostData`]).
    Host(Box<dyn HostData>),
}

/// The state behind an object implemented outside the value model (a Promise's reactions, a
/// stream's queue, an open key-value store). Any crate above the realm defines its own and
/// finds it again with [`Obj::host`] / [`Obj::host_mut`].
pub trait HostData: Any {
    /// The class name `String(v)` and console output show (`[object Promise]`).
    fn tag(&self) -> &'static str;
}

/// A Uint8Array's bytes. `new Uint8Array(n)` makes them lazily (`Zeroed`): Go fills a fresh
/// array whole with copyBytesToJS right away (net/http's fetch body, file writes), and the
/// bytes lowered for that call take its place with no zero-filled buffer made beside them.
/// Made bytes are shared copy-on-write, so that a fetch's body takes them without a copy. For
/// a 16 MiB upload the two halve the shim's memory (one buffer of the body's size, not two).
#[derive(Clone)]
pub enum ByteBuf {
    /// `n` zero bytes, not made yet.
    Zeroed(usize),
    Made(Rc<Vec<u8>>),
}

impl From<Vec<u8>> for ByteBuf {
    fn from(bytes: Vec<u8>) -> ByteBuf {
        ByteBuf::new(bytes)
    }
}

impl ByteBuf {
    pub fn new(bytes: Vec<u8>) -> ByteBuf {
        ByteBuf::Made(Rc::new(bytes))
    }

    pub fn len(&self) -> usize {
        match self {
            ByteBuf::Zeroed(n) => *n,
            ByteBuf::Made(b) => b.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<u8> {
        match self {
            ByteBuf::Zeroed(n) => (i < *n).then_some(0),
            ByteBuf::Made(b) => b.get(i).copied(),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = u8> + '_ {
        let (made, zeroed) = match self {
            ByteBuf::Zeroed(n) => (&[][..], *n),
            ByteBuf::Made(b) => (b.as_slice(), 0),
        };
        made.iter().copied().chain(std::iter::repeat_n(0, zeroed))
    }

    /// The bytes, made now if they were not.
    fn made(&mut self) -> &mut Rc<Vec<u8>> {
        if let ByteBuf::Zeroed(n) = *self {
            *self = ByteBuf::new(vec![0; n]);
        }
        match self {
            ByteBuf::Made(b) => b,
            ByteBuf::Zeroed(_) => unreachable!("made above"),
        }
    }

    /// The bytes to change: copied first if something else shares them.
    pub fn to_mut(&mut self) -> &mut Vec<u8> {
        Rc::make_mut(self.made())
    }

    /// The bytes as they are now, shared (a later change to the array copies them first).
    pub fn share(&mut self) -> Rc<Vec<u8>> {
        self.made().clone()
    }
}

pub struct Function {
    pub name: JsStr,
    pub call: Callable,
    /// `Some` for constructors (`new F()`); other functions throw "is not a constructor".
    pub construct: Option<NativeCtor>,
    /// A native closure's data: passed as `this` in place of the caller's (how a Promise's
    /// resolve function knows its promise).
    pub bound: Option<Value>,
}

#[derive(Clone, Copy)]
pub enum Callable {
    Native(NativeFn),
    /// A function the guest made (Go: `_makeFuncWrapper(id)`): the realm does not run it;
    /// whoever calls it hands it to the embedding, which runs the guest (Go: sets
    /// `_pendingEvent` and resumes Go).
    Guest(GuestFn),
}

/// A guest's function: its id in the guest's own numbering, and the source text `String(f)`
/// shows (the glue's wrapper, as node prints it).
#[derive(Clone, Copy)]
pub struct GuestFn {
    pub id: u32,
    pub source: &'static str,
}

impl Obj {
    pub fn new(proto: Option<&Obj>, kind: Kind) -> Obj {
        Obj(Rc::new(RefCell::new(ObjectData { proto: proto.cloned(), props: Vec::new(), kind, label: "" })))
    }

    /// Identity, as `_ids` compares objects.
    pub fn addr(&self) -> usize {
        Rc::as_ptr(&self.0) as *const () as usize
    }

    pub fn same(&self, other: &Obj) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    pub fn borrow(&self) -> Ref<'_, ObjectData> {
        self.0.borrow()
    }

    pub fn borrow_mut(&self) -> RefMut<'_, ObjectData> {
        self.0.borrow_mut()
    }

    pub fn is_callable(&self) -> bool {
        matches!(self.borrow().kind, Kind::Function(_))
    }

    pub fn callable(&self) -> Option<Callable> {
        match &self.borrow().kind {
            Kind::Function(f) => Some(f.call),
            _ => None,
        }
    }

    /// A native closure's bound data (see [`Function::bound`]).
    pub fn bound(&self) -> Option<Value> {
        match &self.borrow().kind {
            Kind::Function(f) => f.bound.clone(),
            _ => None,
        }
    }

    pub fn constructor(&self) -> Option<NativeCtor> {
        match &self.borrow().kind {
            Kind::Function(f) => f.construct,
            _ => None,
        }
    }

    pub fn label(&self) -> &'static str {
        self.borrow().label
    }

    pub fn with_label(self, label: &'static str) -> Obj {
        self.borrow_mut().label = label;
        self
    }

    /// `Reflect.get(o, key)`: own (including array/typed-array elements), then the prototype chain.
    pub fn get(&self, key: &str) -> Value {
        let d = self.borrow();
        if let Some(v) = d.own(key) {
            return v;
        }
        match &d.proto {
            Some(p) => p.get(key),
            None => Value::Undefined,
        }
    }

    /// `Reflect.get(o, i)` for an integer index.
    pub fn get_index(&self, i: i64) -> Value {
        {
            let d = self.borrow();
            match &d.kind {
                Kind::Array(a) if i >= 0 && (i as u64) < a.len() as u64 => return a[i as usize].clone(),
                Kind::Bytes(b) => {
                    return match usize::try_from(i).ok().and_then(|i| b.get(i)) {
                        Some(x) => Value::Number(x as f64),
                        None => Value::Undefined,
                    };
                }
                _ => {}
            }
        }
        self.get(&i.to_string())
    }

    /// `Reflect.set(o, key, value)` on an ordinary data property (or element).
    pub fn set(&self, key: &str, value: Value) {
        if let Some(i) = array_index(key) {
            return self.set_index(i as i64, value);
        }
        let mut d = self.borrow_mut();
        match &mut d.kind {
            Kind::Array(a) if key == "length" => {
                // `arr.length = n` truncates or extends; an invalid length would throw a
                // RangeError that valueSet cannot report, so it is ignored.
                if let Some(n) = value.as_number().filter(|n| *n >= 0.0 && n.fract() == 0.0 && *n < u32::MAX as f64) {
                    let _ = resize_values(a, n as usize);
                }
                return;
            }
            // Read-only accessors on the prototype: the assignment is ignored.
            Kind::Bytes(_) if matches!(key, "length" | "byteLength" | "byteOffset") => return,
            _ => {}
        }
        d.set_own(key, value);
    }

    /// `Reflect.set(o, i, value)`.
    pub fn set_index(&self, i: i64, value: Value) {
        let is_bytes = matches!(self.borrow().kind, Kind::Bytes(_));
        if is_bytes {
            // ToNumber may stringify `value`, so compute it before borrowing `self` mutably.
            let byte = to_uint8(to_number(&value));
            if let Kind::Bytes(b) = &mut self.borrow_mut().kind {
                if let Some(i) = usize::try_from(i).ok().filter(|i| *i < b.len()) {
                    b.to_mut()[i] = byte;
                }
            }
            return;
        }
        let mut d = self.borrow_mut();
        if let Kind::Array(a) = &mut d.kind {
            if (0..u32::MAX as i64 - 1).contains(&i) && resize_values(a, a.len().max(i as usize + 1)) {
                a[i as usize] = value;
                return;
            }
        }
        d.set_own(&i.to_string(), value);
    }

    /// `Reflect.deleteProperty(o, key)`.
    pub fn delete(&self, key: &str) {
        let mut d = self.borrow_mut();
        if let (Kind::Array(a), Some(i)) = (&mut d.kind, array_index(key)) {
            if let Some(slot) = a.get_mut(i) {
                *slot = Value::Undefined;
            }
            return;
        }
        d.props.retain(|(k, _)| &**k != key);
    }

    /// `o instanceof ctor`: `ctor.prototype` on `o`'s prototype chain.
    pub fn instance_of(&self, ctor: &Obj) -> bool {
        if !ctor.is_callable() {
            return false;
        }
        let Value::Object(target) = ctor.get("prototype") else {
            return false;
        };
        let mut cur = self.borrow().proto.clone();
        while let Some(p) = cur {
            if p.same(&target) {
                return true;
            }
            cur = p.borrow().proto.clone();
        }
        false
    }

    /// The bytes of a Uint8Array (made now if they were not).
    pub fn bytes(&self) -> Option<Ref<'_, Vec<u8>>> {
        // Borrowed mutably only to make them: a made array may be read while another read of
        // it is alive (as before there were lazy bytes).
        if matches!(self.borrow().kind, Kind::Bytes(ByteBuf::Zeroed(_))) {
            if let Kind::Bytes(b) = &mut self.borrow_mut().kind {
                b.made();
            }
        }
        Ref::filter_map(self.borrow(), |d| match &d.kind {
            Kind::Bytes(ByteBuf::Made(b)) => Some(&**b),
            _ => None,
        })
        .ok()
    }

    /// The bytes of a Uint8Array, to change (copied first if shared).
    pub fn bytes_mut(&self) -> Option<RefMut<'_, Vec<u8>>> {
        self.byte_buf().map(|b| RefMut::map(b, ByteBuf::to_mut))
    }

    /// The buffer of a Uint8Array, to replace or share without a copy.
    pub fn byte_buf(&self) -> Option<RefMut<'_, ByteBuf>> {
        RefMut::filter_map(self.borrow_mut(), |d| match &mut d.kind {
            Kind::Bytes(b) => Some(b),
            _ => None,
        })
        .ok()
    }

    /// A new object of `proto` whose state is `data`.
    pub fn with_host(proto: &Obj, data: impl HostData) -> Obj {
        Obj::new(Some(proto), Kind::Host(Box::new(data)))
    }

    /// The host state of type `T`, when this object has one.
    pub fn host<T: HostData>(&self) -> Option<Ref<'_, T>> {
        Ref::filter_map(self.borrow(), |d| match &d.kind {
            Kind::Host(h) => (&**h as &dyn Any).downcast_ref::<T>(),
            _ => None,
        })
        .ok()
    }

    /// The host state of type `T`, to change.
    pub fn host_mut<T: HostData>(&self) -> Option<RefMut<'_, T>> {
        RefMut::filter_map(self.borrow_mut(), |d| match &mut d.kind {
            Kind::Host(h) => (&mut **h as &mut dyn Any).downcast_mut::<T>(),
            _ => None,
        })
        .ok()
    }

    /// Whether this object's host state is a `T`.
    pub fn is_host<T: HostData>(&self) -> bool {
        matches!(&self.borrow().kind, Kind::Host(h) if (&**h as &dyn Any).is::<T>())
    }

    /// The elements of an Array (or the bytes of a Uint8Array as numbers), for argument lists.
    pub fn elements(&self) -> Option<Vec<Value>> {
        match &self.borrow().kind {
            Kind::Array(a) => Some(a.clone()),
            Kind::Bytes(b) => Some(b.iter().map(|x| Value::Number(x as f64)).collect()),
            _ => None,
        }
    }
}

impl ObjectData {
    fn own(&self, key: &str) -> Option<Value> {
        match &self.kind {
            Kind::Array(a) => {
                if key == "length" {
                    return Some(Value::Number(a.len() as f64));
                }
                if let Some(i) = array_index(key) {
                    if let Some(v) = a.get(i) {
                        return Some(v.clone());
                    }
                }
            }
            Kind::Bytes(b) => {
                match key {
                    "length" | "byteLength" => return Some(Value::Number(b.len() as f64)),
                    "byteOffset" => return Some(Value::Number(0.0)),
                    _ => {}
                }
                if let Some(i) = array_index(key) {
                    // Typed arrays never consult the prototype for an index.
                    return Some(b.get(i).map_or(Value::Undefined, |x| Value::Number(x as f64)));
                }
            }
            Kind::Function(f) if key == "name" && self.prop(key).is_none() => {
                return Some(Value::String(f.name.clone()));
            }
            _ => {}
        }
        self.prop(key).cloned()
    }

    fn prop(&self, key: &str) -> Option<&Value> {
        self.props.iter().find(|(k, _)| &**k == key).map(|(_, v)| v)
    }

    /// Creates or overwrites an own data property, keeping insertion order.
    pub fn set_own(&mut self, key: &str, value: Value) {
        match self.props.iter_mut().find(|(k, _)| &**k == key) {
            Some(slot) => slot.1 = value,
            None => self.props.push((key.into(), value)),
        }
    }
}

/// Grows or shrinks a dense array to `len`, false (and unchanged) when memory runs out, so a
/// guest writing element 4e9 gets a plain property instead of the shim aborting.
pub fn resize_values(a: &mut Vec<Value>, len: usize) -> bool {
    if len > a.len() && a.try_reserve_exact(len - a.len()).is_err() {
        return false;
    }
    a.resize(len, Value::Undefined);
    true
}

/// A canonical array index ("0", "17"; not "01", "-1", "1.0"), as property keys compare.
pub fn array_index(key: &str) -> Option<usize> {
    let b = key.as_bytes();
    if b.is_empty() || b.len() > 10 || !b.iter().all(u8::is_ascii_digit) || (b[0] == b'0' && b.len() > 1) {
        return None;
    }
    let n: u64 = key.parse().ok()?;
    (n < u32::MAX as u64).then_some(n as usize)
}

/// `ToNumber(v)`.
pub fn to_number(v: &Value) -> f64 {
    match v {
        Value::Undefined => f64::NAN,
        Value::Null => 0.0,
        Value::Bool(b) => *b as u8 as f64,
        Value::Number(n) => *n,
        Value::String(s) => string_to_number(s),
        Value::Object(o) => {
            if let Kind::Date(ms) = o.borrow().kind {
                return ms;
            }
            string_to_number(&to_js_string(v))
        }
    }
}

/// `String(v)`.
pub fn to_js_string(v: &Value) -> String {
    if let Value::String(s) = v {
        return s.to_string();
    }
    let mut out = String::new();
    write_string(&mut out, v, &mut Vec::new());
    out
}

/// `Array.prototype.join(separator)` of `array`'s elements (`None`: not an array). Nullish
/// elements are empty; the array met again inside itself is too (the cycle rule).
pub fn join(array: &Obj, separator: &str) -> Option<String> {
    let items = match &array.borrow().kind {
        Kind::Array(a) => a.clone(),
        _ => return None,
    };
    let mut out = String::new();
    let mut joining = vec![array.addr()];
    for (i, e) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        if !e.is_nullish() {
            write_string(&mut out, e, &mut joining);
        }
    }
    Some(out)
}

/// Appends `String(v)` to `out`. `joining` holds the arrays (and errors) being stringified,
/// which render as "" when met again (`Array.prototype.join`'s cycle rule), so a cyclic value
/// cannot recurse without end.
fn write_string(out: &mut String, v: &Value, joining: &mut Vec<usize>) {
    match v {
        Value::Undefined => out.push_str("undefined"),
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, *n),
        Value::String(s) => out.push_str(s),
        Value::Object(o) => write_object(out, o, joining),
    }
}

fn write_object(out: &mut String, o: &Obj, joining: &mut Vec<usize>) {
    let d = o.borrow();
    match &d.kind {
        Kind::Ordinary => out.push_str("[object Object]"),
        Kind::Array(_) | Kind::Error if joining.contains(&o.addr()) || joining.len() > 64 => {}
        Kind::Array(a) => {
            joining.push(o.addr());
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !e.is_nullish() {
                    write_string(out, e, joining);
                }
            }
            joining.pop();
        }
        Kind::Bytes(b) => {
            for (i, x) in b.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_number(out, x as f64);
            }
        }
        Kind::Error => {
            // Error.prototype.toString.
            drop(d);
            joining.push(o.addr());
            let mut name = String::new();
            match o.get("name") {
                Value::Undefined => name.push_str("Error"),
                n => write_string(&mut name, &n, joining),
            }
            let mut msg = String::new();
            match o.get("message") {
                Value::Undefined => {}
                m => write_string(&mut msg, &m, joining),
            }
            joining.pop();
            out.push_str(&name);
            if !name.is_empty() && !msg.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&msg);
        }
        Kind::Date(ms) => out.push_str(&crate::date::to_date_string(*ms)),
        Kind::Host(h) => {
            out.push_str("[object ");
            out.push_str(h.tag());
            out.push(']');
        }
        Kind::Function(f) => match f.call {
            Callable::Guest(g) => out.push_str(g.source),
            Callable::Native(_) => {
                out.push_str("function ");
                out.push_str(&f.name);
                out.push_str("() { [native code] }");
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arr(v: Vec<Value>) -> Obj {
        Obj::new(None, Kind::Array(v))
    }

    #[test]
    fn array_elements_and_length() {
        let a = arr(vec![]);
        a.set_index(2, Value::str("x"));
        assert!(matches!(a.get("length"), Value::Number(n) if n == 3.0));
        assert!(matches!(a.get_index(0), Value::Undefined));
        assert_eq!(to_js_string(&a.get("2")), "x");
        a.set("length", Value::Number(1.0));
        assert!(matches!(a.get_index(2), Value::Undefined));
        assert!(matches!(a.get_index(-1), Value::Undefined));
        assert!(matches!(a.get_index(i64::MAX), Value::Undefined));
    }

    #[test]
    fn typed_array_elements() {
        let b = Obj::new(None, Kind::Bytes(ByteBuf::Zeroed(3)));
        b.set_index(0, Value::Number(257.0));
        b.set("1", Value::str("7"));
        b.set_index(5, Value::Number(1.0)); // out of range: ignored
        b.set("length", Value::Number(9.0)); // read-only: ignored
        assert_eq!(*b.bytes().unwrap(), vec![1, 7, 0]);
        assert!(matches!(b.get("byteLength"), Value::Number(n) if n == 3.0));
        assert!(matches!(b.get_index(3), Value::Undefined));
        assert_eq!(to_js_string(&Value::Object(b)), "1,7,0");
    }

    #[test]
    fn byte_buffers_are_made_on_first_use_and_shared_copy_on_write() {
        let b = Obj::new(None, Kind::Bytes(ByteBuf::Zeroed(4)));
        assert!(matches!(b.get_index(2), Value::Number(n) if n == 0.0));
        assert_eq!(to_js_string(&Value::Object(b.clone())), "0,0,0,0");
        assert!(matches!(*b.byte_buf().unwrap(), ByteBuf::Zeroed(4)), "reading made no buffer");
        let snapshot = b.byte_buf().unwrap().share();
        b.set_index(1, Value::Number(9.0));
        assert_eq!(*b.bytes().unwrap(), vec![0, 9, 0, 0]);
        assert_eq!(*snapshot, vec![0; 4], "a shared snapshot does not see later changes");
        // Two reads alive at once (fs.write's source while another read looks at it).
        let (first, second) = (b.bytes().unwrap(), b.bytes().unwrap());
        assert_eq!(*first, *second);
    }

    #[test]
    fn strings_of_values() {
        assert_eq!(to_js_string(&Value::Undefined), "undefined");
        assert_eq!(to_js_string(&Value::Null), "null");
        assert_eq!(to_js_string(&Value::Bool(true)), "true");
        assert_eq!(to_js_string(&Value::Number(2.5)), "2.5");
        let inner = arr(vec![Value::Number(1.0), Value::Null, Value::str("a")]);
        let outer = arr(vec![Value::Object(inner.clone()), Value::Undefined]);
        inner.set_index(3, Value::Object(outer.clone())); // a cycle
        assert_eq!(to_js_string(&Value::Object(outer)), "1,,a,,");
        assert_eq!(to_js_string(&Value::Object(Obj::new(None, Kind::Ordinary))), "[object Object]");
        // An error whose name contains itself terminates.
        let e = Obj::new(None, Kind::Error);
        e.set("message", Value::str("boom"));
        e.set("name", Value::Object(arr(vec![Value::Object(e.clone()), Value::str("E")])));
        assert_eq!(to_js_string(&Value::Object(e)), ",E: boom");
    }

    #[test]
    fn join_with_a_separator() {
        // What httpserve sends for a request's headers: Array.from(headers.entries()).join("\n").
        let pair = |n: &str, v: &str| Value::Object(arr(vec![Value::str(n), Value::str(v)]));
        let a = arr(vec![pair("accept", "a, b"), pair("host", "x")]);
        assert_eq!(join(&a, "\n").as_deref(), Some("accept,a, b\nhost,x"));
        let with_holes = arr(vec![Value::Null, Value::Number(1.0), Value::Undefined]);
        with_holes.set_index(3, Value::Object(with_holes.clone())); // itself: empty
        assert_eq!(join(&with_holes, "-").as_deref(), Some("-1--"));
        assert_eq!(join(&Obj::new(None, Kind::Ordinary), ","), None);
    }

    #[test]
    fn properties_keep_insertion_order_and_delete() {
        let o = Obj::new(None, Kind::Ordinary);
        o.set("b", Value::Number(1.0));
        o.set("a", Value::Number(2.0));
        o.set("b", Value::Number(3.0));
        let keys: Vec<String> = o.borrow().props.iter().map(|(k, _)| k.to_string()).collect();
        assert_eq!(keys, ["b", "a"]);
        o.delete("b");
        assert!(matches!(o.get("b"), Value::Undefined));
    }

    #[test]
    fn prototype_chain_and_instanceof() {
        let proto = Obj::new(None, Kind::Ordinary);
        proto.set("m", Value::Number(1.0));
        let ctor = Obj::new(
            None,
            Kind::Function(Function {
                name: "C".into(),
                call: Callable::Guest(GuestFn { id: 1, source: "function () {}" }),
                construct: None,
                bound: None,
            }),
        );
        ctor.set("prototype", Value::Object(proto.clone()));
        let o = Obj::new(Some(&proto), Kind::Ordinary);
        assert!(matches!(o.get("m"), Value::Number(n) if n == 1.0));
        assert!(o.instance_of(&ctor));
        assert!(!proto.instance_of(&ctor));
        assert!(!o.instance_of(&proto)); // not callable
        assert_eq!(to_js_string(&ctor.get("name")), "C");
    }

    #[test]
    fn canonical_indices() {
        assert_eq!(array_index("0"), Some(0));
        assert_eq!(array_index("42"), Some(42));
        assert_eq!(array_index("042"), None);
        assert_eq!(array_index("-1"), None);
        assert_eq!(array_index("1.0"), None);
        assert_eq!(array_index("4294967295"), None);
        assert_eq!(array_index(""), None);
    }
}
