//! The built-in frontends, one folder per flavour. This list is the only place that names
//! them: add a flavour by writing its folder and one line here.

use crate::frontend::Frontend;

pub mod component;
pub mod dotnet;
pub mod emscripten;
pub mod gojs;
pub mod wasi;
pub mod wasm_bindgen;

/// The built-in frontends in the order they are asked to claim a binary: the browser
/// toolchains first (.NET's runtime before emscripten, which builds it), then plain WASI
/// modules; components have a frontend of their own.
pub fn builtins() -> Vec<Box<dyn Frontend>> {
    vec![
        Box::new(gojs::GoJs),
        Box::new(wasm_bindgen::WasmBindgen),
        Box::new(dotnet::Dotnet),
        Box::new(emscripten::Emscripten),
        Box::new(wasi::Wasi),
        Box::new(component::Component),
    ]
}
