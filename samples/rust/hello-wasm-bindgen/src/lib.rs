//! A typical wasm-bindgen guest: Rust functions exported to JS, JS functions imported from
//! Rust. Built for `wasm32-unknown-unknown`, then processed by wasm-bindgen's CLI support.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console)]
    fn log(s: &str);
}

/// Greets `name` through `console.log` and returns the greeting.
#[wasm_bindgen]
pub fn greet(name: &str) -> String {
    let text = format!("hello, {name}");
    log(&text);
    text
}

/// Milliseconds since the epoch, from JS `Date.now()`.
#[wasm_bindgen]
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Sums a JS array of numbers; non-numbers are an error thrown back to JS.
#[wasm_bindgen]
pub fn sum(values: &js_sys::Array) -> Result<f64, JsValue> {
    let mut total = 0.0;
    for v in values.iter() {
        total += v.as_f64().ok_or_else(|| JsValue::from_str("sum: not a number"))?;
    }
    Ok(total)
}

/// A class exported to JS.
#[wasm_bindgen]
pub struct Counter {
    count: u32,
}

#[wasm_bindgen]
impl Counter {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Counter {
        Counter { count: 0 }
    }
    pub fn bump(&mut self) -> u32 {
        self.count += 1;
        self.count
    }
}

impl Default for Counter {
    fn default() -> Self {
        Self::new()
    }
}
