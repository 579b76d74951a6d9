//! The embedding: what a flavour's shim gives the realm, and what natives are handed.
//!
//! A flavour's shim (Go's, later wasm-bindgen's or .NET's) owns one [`Js`] — the realm, the
//! clock, the event loop and the state of libraries layered on the realm — beside its own
//! state (Go: its reference table, the `go` object, node's `fs`). It implements [`Host`], and
//! every native function receives it as `&mut dyn Host`:
//! - natives of the realm and the web platform use [`Host::js`] only;
//! - a flavour's own natives get their shim back with [`downcast`] (a type-id compare), so
//!   their state is plain fields of the shim, not something the realm has to know.
//!
//! The realm never calls into the guest: a guest function ([`crate::Callable::Guest`]) that
//! a queued callback or a constructor wants run is handed back to the shim (see
//! [`crate::events`]), which runs it the flavour's way (Go: `_pendingEvent` and `resume`).

use std::any::{Any, TypeId};

use crate::clock::Clock;
use crate::events::Events;
use crate::realm::Realm;

/// The realm's side of an embedding: intrinsics, clock, event loop, library state.
pub struct Js {
    pub realm: Realm,
    pub clock: Clock,
    pub events: Events,
    /// State of the libraries layered on the realm (js-web's HTTP server, …), one per type.
    /// Kept behind `dyn Any` so that a build which never makes one (a command shim without
    /// HTTP) links none of its code — not even the drop glue of its `wasi:http` resources.
    pub ext: Extensions,
}

impl Js {
    /// A realm with its intrinsics and the platform globals every flavour sees (`console`,
    /// `crypto`, `performance`, `Date`), and an empty event loop.
    pub fn new() -> Js {
        let realm = Realm::new();
        crate::console::install(&realm);
        crate::crypto::install(&realm);
        crate::clock::install(&realm);
        Js { realm, clock: Clock::new(), events: Events::new(), ext: Extensions::default() }
    }
}

impl Default for Js {
    fn default() -> Js {
        Js::new()
    }
}

/// The embedding of the realm (a flavour's shim), as natives see it.
pub trait Host: Any {
    fn js(&mut self) -> &mut Js;
}

/// The concrete embedding `T` behind `host`, for a flavour's own natives (installed by that
/// flavour, so the downcast cannot fail unless another flavour's shim runs them).
pub fn downcast<T: Host>(host: &mut dyn Host) -> &mut T {
    let any: &mut dyn Any = host;
    any.downcast_mut::<T>()
        .unwrap_or_else(|| panic!("a native of {} called from another embedding", std::any::type_name::<T>()))
}

/// A small map from type to value: the state of each library layered on the realm.
#[derive(Default)]
pub struct Extensions {
    // Few entries (one per library); a linear scan beats hashing.
    items: Vec<(TypeId, Box<dyn Any>)>,
}

impl Extensions {
    /// Adds `value` (replacing one of the same type).
    pub fn insert<T: Any>(&mut self, value: T) {
        let id = TypeId::of::<T>();
        match self.items.iter_mut().find(|(t, _)| *t == id) {
            Some(slot) => slot.1 = Box::new(value),
            None => self.items.push((id, Box::new(value))),
        }
    }

    // The lookups compare the type id kept beside each value instead of asking the value for
    // its own (`dyn Any::downcast_*`, a virtual call): serving a request looks up its state
    // a dozen times.

    #[inline]
    pub fn get<T: Any>(&self) -> Option<&T> {
        let id = TypeId::of::<T>();
        let (_, v) = self.items.iter().find(|(t, _)| *t == id)?;
        // SAFETY: `insert` keeps each value beside its own type's id, so the value is a `T`.
        Some(unsafe { &*(&**v as *const dyn Any as *const T) })
    }

    #[inline]
    pub fn get_mut<T: Any>(&mut self) -> Option<&mut T> {
        let id = TypeId::of::<T>();
        let (_, v) = self.items.iter_mut().find(|(t, _)| *t == id)?;
        // SAFETY: as in `get`.
        Some(unsafe { &mut *(&mut **v as *mut dyn Any as *mut T) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter(u32);

    #[test]
    fn extensions_by_type() {
        let mut e = Extensions::default();
        assert!(e.get::<Counter>().is_none());
        e.insert(Counter(1));
        e.insert(String::from("x"));
        e.get_mut::<Counter>().unwrap().0 += 1;
        e.insert(String::from("y"));
        assert_eq!(e.get::<Counter>().unwrap().0, 2);
        assert_eq!(e.get::<String>().map(String::as_str), Some("y"));
    }
}
