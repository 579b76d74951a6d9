//! A minimal embedding for the unit tests: the realm, the web classes, and a loop that runs
//! queued native callbacks (no guest: a test that queues a guest function fails).

use js_realm::events::run_native;
use js_realm::{Callable, Host, Js};

pub struct TestHost {
    pub js: Js,
}

impl Host for TestHost {
    fn js(&mut self) -> &mut Js {
        &mut self.js
    }
}

impl TestHost {
    pub fn new() -> TestHost {
        let mut js = Js::new();
        crate::install(&mut js.realm);
        TestHost { js }
    }

    /// Runs queued callbacks until none is left.
    pub fn drain(&mut self) {
        while let Some(q) = self.js.events.next_callback() {
            match q.f.callable() {
                Some(Callable::Native(native)) => run_native(self, &q.f, native, &q.args, q.then),
                _ => panic!("a test queued a function that is not native"),
            }
        }
    }
}
