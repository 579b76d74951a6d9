//go:build js && wasm

// Package workers mirrors the host contract of github.com/syumai/workers (see README.md).
package workers

import (
	"bytes"

	"net/http"
	"net/http/httptest"
	"syscall/js"
)

//go:wasmimport workers ready
func ready()

var done = make(chan struct{})

// Serve serves handler (http.DefaultServeMux when nil) for one request, then returns.
func Serve(handler http.Handler) {
	if handler == nil {
		handler = http.DefaultServeMux
	}
	binding := js.Global().Get("context").Get("binding")
	binding.Set("handleRequest", js.FuncOf(func(_ js.Value, args []js.Value) any {
		req := args[0]
		return js.Global().Get("Promise").New(js.FuncOf(func(_ js.Value, p []js.Value) any {
			resolve := p[0]
			go func() { resolve.Invoke(serveOne(handler, req)) }()
			return nil
		}))
	}))
	ready()
	<-done
}

func serveOne(handler http.Handler, jsReq js.Value) js.Value {
	body := readAll(jsReq.Get("body"))
	req := httptest.NewRequest(jsReq.Get("method").String(), jsReq.Get("url").String(), bytes.NewReader(body))
	entries := js.Global().Get("Array").Call("from", jsReq.Get("headers").Call("entries"))
	for i := 0; i < entries.Length(); i++ {
		req.Header.Add(entries.Index(i).Index(0).String(), entries.Index(i).Index(1).String())
	}
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)

	headers := js.Global().Get("Headers").New()
	for k, vs := range rec.Header() {
		for _, v := range vs {
			headers.Call("append", k, v)
		}
	}
	init := js.Global().Get("Object").New()
	init.Set("status", rec.Code)
	init.Set("headers", headers)
	out := rec.Body.Bytes()
	var stream js.Value = js.Null()
	if rec.Code != 204 && rec.Code != 304 {
		stream = js.Global().Get("ReadableStream").New(map[string]any{
			"pull": js.FuncOf(func(_ js.Value, a []js.Value) any {
				controller := a[0]
				if len(out) == 0 {
					controller.Call("close")
					close(done) // the response is complete: main returns, as the real package does
					return nil
				}
				n := min(len(out), 16<<10)
				chunk := js.Global().Get("Uint8Array").New(n)
				js.CopyBytesToJS(chunk, out[:n])
				out = out[n:]
				controller.Call("enqueue", chunk)
				return nil
			}),
		})
	} else {
		close(done)
	}
	return js.Global().Get("Response").New(stream, init)
}

func readAll(stream js.Value) []byte {
	if stream.Type() != js.TypeObject {
		return nil
	}
	reader := stream.Call("getReader")
	var buf bytes.Buffer
	for {
		ch := make(chan js.Value, 1)
		reader.Call("read").Call("then", js.FuncOf(func(_ js.Value, a []js.Value) any { ch <- a[0]; return nil }))
		res := <-ch
		if res.Get("done").Bool() {
			return buf.Bytes()
		}
		chunk := make([]byte, res.Get("value").Length())
		js.CopyBytesToGo(chunk, res.Get("value"))
		buf.Write(chunk)
	}
}
