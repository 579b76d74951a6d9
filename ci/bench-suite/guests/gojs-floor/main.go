// The least a Go GOOS=js program can do per request over the Workers fetch contract, for
// ci/bench gojs-http's "floor" row: handleRequest answers every request with
// Promise.resolve(new Response("hello from Go\n")) at once, with no net/http, no goroutine per
// request and no reading of the request. What a rewritten handler costs above this row is
// httpserve and the handler; what this row costs above the Rust hello component's row is the
// syscall/js round trip (Go's event loop, its JS values, the shim's object model).
package main

import "syscall/js"

// ready is the Workers contract's signal that handleRequest is set.
//
//go:wasmimport workers ready
func ready()

func main() {
	global := js.Global()
	response, promise := global.Get("Response"), global.Get("Promise")
	binding := global.Get("context").Get("binding")
	binding.Set("handleRequest", js.FuncOf(func(js.Value, []js.Value) any {
		return promise.Call("resolve", response.New("hello from Go\n"))
	}))
	binding.Set("multiRequest", true)
	ready()
	select {}
}
