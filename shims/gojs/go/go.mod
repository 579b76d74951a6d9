module wasm-server-bindgen/gojs

go 1.21
