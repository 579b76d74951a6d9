//go:build js && wasm

// Package httpserve serves an http.Handler from a Go GOOS=js binary over the Workers fetch
// contract: the host calls binding.handleRequest(request) with a WHATWG Request and gets a
// Promise of a WHATWG Response whose body streams while the handler writes. Built with Go
// 1.24+, it also offers hosts that know it a direct path without JS objects (direct.go).
package httpserve

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"sync/atomic"
	"syscall/js"
)

// ready tells the host that handleRequest is set. Same import as the Workers packages, so
// hosts and `wasm-server-bindgen inspect` recognise both the same way.
//
//go:wasmimport workers ready
func ready()

var (
	global          = js.Global()
	promiseClass    = global.Get("Promise")
	responseClass   = global.Get("Response")
	headersClass    = global.Get("Headers")
	objectClass     = global.Get("Object")
	uint8ArrayClass = global.Get("Uint8Array")
	arrayClass      = global.Get("Array")
	errorClass      = global.Get("Error")
	streamClass     = global.Get("ReadableStream")
)

// Serve registers handler (http.DefaultServeMux when nil) as the binding's handleRequest,
// reports ready to the host and serves until the host stops the instance.
func Serve(handler http.Handler) {
	if handler == nil {
		handler = http.DefaultServeMux
	}
	binding := bindingObject()
	binding.Set("handleRequest", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) != 1 {
			return rejected(fmt.Sprintf("handleRequest takes 1 argument, got %d", len(args)))
		}
		return handle(handler, args[0])
	}))
	// Unlike the Workers packages (one request per instance), an instance serves any number
	// of requests, concurrently; hosts may reuse it.
	binding.Set("multiRequest", true)
	serveDirect(handler, binding)
	ready()
	select {}
}

// bindingObject is globalThis.context.binding, the object the host passed in.
func bindingObject() js.Value {
	ctx := global.Get("context")
	if ctx.Type() != js.TypeObject || ctx.Get("binding").Type() != js.TypeObject {
		fmt.Fprintln(os.Stderr, "httpserve: no globalThis.context.binding: run this module with an HTTP host "+
			"(shims/gojs/node/serve.mjs under node, or rewrite it with wasm-server-bindgen)")
		os.Exit(1)
	}
	return ctx.Get("binding")
}

func rejected(msg string) js.Value {
	return promiseClass.Call("reject", errorClass.New(msg))
}

// handle starts the handler for one request and returns a Promise that resolves with the
// Response once its head goes out: when the handler returns, flushes, or has written more than
// responseWriter holds back (see bufferSize).
func handle(handler http.Handler, jsReq js.Value) js.Value {
	promise, resolve, _ := newPromise()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := toRequest(ctx, jsReq)
	if err != nil {
		cancel()
		w := newResponseWriter(context.Background(), func() {}, "")
		badRequest(w, err)
		resolve.Invoke(w.toJS())
		return promise
	}
	stopAbort := onAbort(jsReq, cancel)
	w := newResponseWriter(ctx, cancel, req.Method)
	// The Response is built once the head is out (the direct path hands it over in onHead).
	w.ready = make(chan struct{})
	serveOn(handler, w, req, func() {
		cancel()
		stopAbort()
	})
	spawn(func() {
		<-w.ready
		resolve.Invoke(w.toJS())
	})
	return promise
}

// badRequest answers, as net/http's server does, a request that cannot become an
// *http.Request (a malformed URL): 400, saying why.
func badRequest(w *responseWriter, err error) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	io.WriteString(w, "400 Bad Request: "+err.Error()+"\n")
	w.finish()
}

// serveOn runs the handler on a worker goroutine (see runHandler).
func serveOn(handler http.Handler, w *responseWriter, req *http.Request, done func()) {
	spawn(func() { runHandler(handler, w, req, done) })
}

// runHandler runs the handler for req (whose context w's cancels), then ends the response and
// calls done.
func runHandler(handler http.Handler, w *responseWriter, req *http.Request, done func()) {
	defer func() {
		if p := recover(); p != nil {
			// Like net/http's server: log the panic with its stack, answer 500 when nothing
			// was sent yet, and keep serving other requests.
			fmt.Fprintf(os.Stderr, "httpserve: panic serving %s %s: %v\n%s", req.Method, req.URL, p, debug.Stack())
			w.abort(p)
		}
		w.finish()
		done()
	}()
	if body, ok := req.Body.(*streamReader); ok {
		// The handler's copy of the request is the one whose Trailer fills at EOF.
		body.req = req
	}
	handler.ServeHTTP(w, req)
}

// promiseExecutor hands `new Promise`'s resolving functions to newPromise. The executor runs
// inside the constructor, before New returns, so one function serves every promise (instead
// of a js.FuncOf made and released per request).
var (
	executorResolve, executorReject js.Value
	promiseExecutor                 = js.FuncOf(func(_ js.Value, args []js.Value) any {
		executorResolve, executorReject = args[0], args[1]
		return nil
	})
)

// newPromise is a pending Promise with its resolve and reject functions.
func newPromise() (promise, resolve, reject js.Value) {
	promise = promiseClass.New(promiseExecutor)
	resolve, reject = executorResolve, executorReject
	executorResolve, executorReject = js.Undefined(), js.Undefined()
	return promise, resolve, reject
}

// idleWork hands a function to a worker goroutine waiting for one (see spawn).
var (
	idleWork    = make(chan func())
	idleWorkers atomic.Int32
)

// maxIdleWorkers bounds the goroutines kept waiting for work between requests.
const maxIdleWorkers = 64

// spawn runs f on a goroutine: an idle worker of an earlier request when there is one, else a
// new one. A new goroutine starts on a small stack that a handler outgrows, and Go grows it by
// copying (morestack, on every request); a worker keeps its grown stack, as net/http's server
// keeps a connection's goroutine between the requests on it.
func spawn(f func()) {
	select {
	case idleWork <- f:
	default:
		go worker(f)
	}
}

func worker(f func()) {
	for {
		f()
		if idleWorkers.Add(1) > maxIdleWorkers {
			idleWorkers.Add(-1)
			return
		}
		f = <-idleWork
		idleWorkers.Add(-1)
	}
}

// onAbort cancels the request's context when the host aborts the request (the client went
// away): request.signal's "abort" event. The returned func removes the listener (once the
// handler is done), so it neither piles up in Go's function table nor calls into an instance
// after it is gone.
func onAbort(jsReq js.Value, cancel context.CancelFunc) (stop func()) {
	signal := jsReq.Get("signal")
	if signal.Type() != js.TypeObject || !hasEventListeners(signal) {
		return func() {}
	}
	if signal.Get("aborted").Truthy() {
		cancel()
		return func() {}
	}
	f := js.FuncOf(func(js.Value, []js.Value) any {
		cancel()
		return nil
	})
	signal.Call("addEventListener", "abort", f)
	return func() {
		signal.Call("removeEventListener", "abort", f)
		f.Release()
	}
}

// signalsHaveListeners caches whether the host's AbortSignals have addEventListener (they are
// all of one class), so that requests after the first do not take that function as a value.
var signalsHaveListeners int8 // 0 not known yet, 1 yes, -1 no

func hasEventListeners(signal js.Value) bool {
	if signalsHaveListeners == 0 {
		signalsHaveListeners = -1
		if signal.Get("addEventListener").Type() == js.TypeFunction {
			signalsHaveListeners = 1
		}
	}
	return signalsHaveListeners == 1
}
