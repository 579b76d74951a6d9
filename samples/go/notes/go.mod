module example.com/notes

go 1.22

require wasm-server-bindgen/gojs v0.0.0

replace wasm-server-bindgen/gojs => ../../../shims/gojs/go
