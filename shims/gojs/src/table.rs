//! The value table Go's references point into: wasm_exec.js's `_values`, `_goRefCounts`,
//! `_ids` and `_idPool`, with its `storeValue` / `loadValue` / `finalizeRef`.
//!
//! A ref is the 64-bit pattern Go keeps (see `syscall/js.ref`): a non-zero, non-NaN f64 is
//! that number; 0 is undefined; otherwise the high half is `0x7FF80000 | type flag` and the low
//! half an id in this table.

use std::collections::HashMap;

use js_realm::value::{JsStr, Obj, Value};

pub const NAN_HEAD: u64 = 0x7FF8_0000;
/// The ref of NaN (id 0, no type flag).
pub const NAN_REF: u64 = NAN_HEAD << 32;

pub const ID_ZERO: u32 = 1;
pub const ID_NULL: u32 = 2;
pub const ID_TRUE: u32 = 3;
pub const ID_FALSE: u32 = 4;
pub const ID_GLOBAL: u32 = 5;
pub const ID_GO: u32 = 6;

const FLAG_NONE: u64 = 0;
const FLAG_OBJECT: u64 = 1;
const FLAG_STRING: u64 = 2;
const FLAG_FUNCTION: u64 = 4;

/// `_goRefCounts` of the predefined values: Infinity, never released.
const PINNED: u32 = u32::MAX;

pub struct Table {
    values: Vec<Value>,
    counts: Vec<u32>,
    /// `_ids` for strings: by content, as a JS Map compares strings.
    string_ids: HashMap<JsStr, u32>,
    /// `_ids` for objects: by identity.
    object_ids: HashMap<usize, u32>,
    pool: Vec<u32>,
}

impl Table {
    /// `_values = [NaN, 0, null, true, false, globalThis, this]`, all pinned.
    pub fn new(global: &Obj, go: &Obj) -> Table {
        let values = vec![
            Value::Number(f64::NAN),
            Value::Number(0.0),
            Value::Null,
            Value::Bool(true),
            Value::Bool(false),
            Value::Object(global.clone()),
            Value::Object(go.clone()),
        ];
        let counts = vec![PINNED; values.len()];
        let object_ids = HashMap::from([(global.addr(), ID_GLOBAL), (go.addr(), ID_GO)]);
        Table { values, counts, string_ids: HashMap::new(), object_ids, pool: Vec::new() }
    }

    /// `loadValue`: 0 (and -0) is undefined, other numbers are themselves, NaN-boxed refs
    /// index the table (an id past its end is undefined, a released one null, as in JS).
    pub fn load(&self, r: u64) -> Value {
        let f = f64::from_bits(r);
        if f == 0.0 {
            return Value::Undefined;
        }
        if !f.is_nan() {
            return Value::Number(f);
        }
        self.values.get(r as u32 as usize).cloned().unwrap_or_default()
    }

    /// `storeValue`: counts one more Go reference to `v` and returns its ref.
    pub fn store(&mut self, v: Value) -> u64 {
        let (id, flag) = match v {
            Value::Number(n) if n != 0.0 => {
                return if n.is_nan() { NAN_REF } else { n.to_bits() };
            }
            Value::Undefined => return 0,
            Value::Number(_) => (ID_ZERO, FLAG_NONE),
            Value::Null => (ID_NULL, FLAG_NONE),
            Value::Bool(true) => (ID_TRUE, FLAG_NONE),
            Value::Bool(false) => (ID_FALSE, FLAG_NONE),
            Value::String(s) => {
                let id = match self.string_ids.get(&s) {
                    Some(id) => *id,
                    None => {
                        let id = self.allocate(Value::String(s.clone()));
                        self.string_ids.insert(s, id);
                        id
                    }
                };
                (id, FLAG_STRING)
            }
            Value::Object(o) => {
                let flag = if o.is_callable() { FLAG_FUNCTION } else { FLAG_OBJECT };
                let id = match self.object_ids.get(&o.addr()) {
                    Some(id) => *id,
                    None => {
                        let addr = o.addr();
                        let id = self.allocate(Value::Object(o));
                        self.object_ids.insert(addr, id);
                        id
                    }
                };
                (id, flag)
            }
        };
        let c = &mut self.counts[id as usize];
        if *c != PINNED {
            *c = c.saturating_add(1).min(PINNED - 1);
        }
        ((NAN_HEAD | flag) << 32) | id as u64
    }

    fn allocate(&mut self, v: Value) -> u32 {
        match self.pool.pop() {
            Some(id) => {
                self.values[id as usize] = v;
                self.counts[id as usize] = 0;
                id
            }
            None => {
                self.values.push(v);
                self.counts.push(0);
                (self.values.len() - 1) as u32
            }
        }
    }

    /// `finalizeRef`: drops one Go reference; at zero the slot becomes null and its id reusable.
    /// Unknown, released and predefined ids are left alone.
    pub fn finalize(&mut self, id: u32) {
        let Some(c) = self.counts.get_mut(id as usize) else {
            return;
        };
        if *c == PINNED || *c == 0 {
            return;
        }
        *c -= 1;
        if *c > 0 {
            return;
        }
        match std::mem::replace(&mut self.values[id as usize], Value::Null) {
            Value::String(s) => {
                self.string_ids.remove(&s);
            }
            Value::Object(o) => {
                self.object_ids.remove(&o.addr());
            }
            _ => {}
        }
        self.pool.push(id);
    }

    /// Live (unreleased, non-predefined) entries, for tests and leak checks.
    #[cfg(test)]
    pub fn live(&self) -> usize {
        self.counts.iter().filter(|c| **c != 0 && **c != PINNED).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use js_realm::value::Kind;

    fn table() -> (Table, Obj, Obj) {
        let g = Obj::new(None, Kind::Ordinary);
        let go = Obj::new(None, Kind::Ordinary);
        (Table::new(&g, &go), g, go)
    }

    #[test]
    fn encodes_like_wasm_exec() {
        let (mut t, g, go) = table();
        assert_eq!(t.store(Value::Undefined), 0);
        assert_eq!(t.store(Value::Number(1.5)), 1.5f64.to_bits());
        assert_eq!(t.store(Value::Number(f64::NAN)), 0x7FF8_0000_0000_0000);
        assert_eq!(t.store(Value::Number(0.0)), 0x7FF8_0000_0000_0001);
        assert_eq!(t.store(Value::Number(-0.0)), 0x7FF8_0000_0000_0001);
        assert_eq!(t.store(Value::Null), 0x7FF8_0000_0000_0002);
        assert_eq!(t.store(Value::Bool(true)), 0x7FF8_0000_0000_0003);
        assert_eq!(t.store(Value::Bool(false)), 0x7FF8_0000_0000_0004);
        assert_eq!(t.store(Value::Object(g)), 0x7FF8_0001_0000_0005);
        assert_eq!(t.store(Value::Object(go)), 0x7FF8_0001_0000_0006);
        assert_eq!(t.store(Value::str("hi")), 0x7FF8_0002_0000_0007);
        let f = Obj::new(
            None,
            Kind::Function(js_realm::value::Function {
                name: "".into(),
                call: js_realm::value::Callable::Guest(js_realm::GuestFn { id: 1, source: "" }),
                construct: None,
                bound: None,
            }),
        );
        assert_eq!(t.store(Value::Object(f)), 0x7FF8_0004_0000_0008);
        assert_eq!(t.live(), 2);
    }

    #[test]
    fn loads_like_wasm_exec() {
        let (t, _, _) = table();
        assert!(matches!(t.load(0), Value::Undefined));
        assert!(matches!(t.load((-0.0f64).to_bits()), Value::Undefined));
        assert!(matches!(t.load(2.0f64.to_bits()), Value::Number(n) if n == 2.0));
        assert!(matches!(t.load(NAN_REF), Value::Number(n) if n.is_nan()));
        assert!(matches!(t.load(0x7FF8_0000_0000_0001), Value::Number(n) if n == 0.0));
        assert!(matches!(t.load(0x7FF8_0001_0000_0005), Value::Object(_)));
        assert!(matches!(t.load(0x7FF8_0001_0000_9999), Value::Undefined));
        // Any NaN payload indexes by its low half, whatever the flag bits say.
        assert!(matches!(t.load(0xFFF8_0007_0000_0003), Value::Bool(true)));
    }

    #[test]
    fn strings_by_content_objects_by_identity() {
        let (mut t, _, _) = table();
        let a = t.store(Value::str("x"));
        let b = t.store(Value::str("x"));
        assert_eq!(a, b);
        let o1 = Obj::new(None, Kind::Ordinary);
        let o2 = Obj::new(None, Kind::Ordinary);
        assert_ne!(t.store(Value::Object(o1.clone())), t.store(Value::Object(o2)));
        assert_eq!(t.store(Value::Object(o1.clone())) as u32, t.store(Value::Object(o1)) as u32);
    }

    #[test]
    fn counts_and_reuses_ids() {
        let (mut t, _, _) = table();
        let r = t.store(Value::str("x"));
        t.store(Value::str("x"));
        let id = r as u32;
        t.finalize(id);
        assert_eq!(t.live(), 1);
        assert_eq!(js_realm::value::to_js_string(&t.load(r)), "x");
        t.finalize(id);
        assert_eq!(t.live(), 0);
        assert!(matches!(t.load(r), Value::Null)); // released slots read as null, as in JS
        t.finalize(id); // again: ignored
        t.finalize(ID_GLOBAL); // pinned: ignored
        t.finalize(123456); // unknown: ignored
        assert!(matches!(t.load(0x7FF8_0001_0000_0005), Value::Object(_)));
        let r2 = t.store(Value::str("y"));
        assert_eq!(r2 as u32, id, "the pool hands the id out again");
        let r3 = t.store(Value::str("x"));
        assert_ne!(r3 as u32, id, "a released string gets a fresh entry");
    }
}
