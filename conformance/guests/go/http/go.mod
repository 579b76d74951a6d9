module example.com/conformance/http

go 1.21

require wasm-server-bindgen/gojs v0.0.0

replace wasm-server-bindgen/gojs => ../../../../shims/gojs/go
