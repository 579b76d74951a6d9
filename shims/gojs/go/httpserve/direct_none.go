//go:build js && wasm && !go1.24

package httpserve

import (
	"net/http"
	"syscall/js"
)

// serveDirect: the direct request path needs //go:wasmexport (Go 1.24); older Go serves every
// request through the Workers contract.
func serveDirect(http.Handler, js.Value) {}
