module example.com/conformance/kv

go 1.21

require wasm-server-bindgen/gojs v0.0.0

replace wasm-server-bindgen/gojs => ../../../../shims/gojs/go
