// Go's own work for one request, without syscall/js, for ci/bench gojs-http: the /hello and
// /json handlers of conformance/guests/go/http behind an http.ServeMux, run on a worker
// goroutine (as httpserve runs handlers) and answered into a buffering ResponseWriter. Built
// for GOOS=wasip1 with -buildmode=c-shared: the benchmark calls the exports in a loop on
// wasmtime, so a call is the Go runtime's entry, the mux, the handler and the goroutine
// hand-off, and nothing of a host's HTTP stack or of a JS object model.
package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
)

var mux = http.NewServeMux()

// work hands requests to the worker goroutine.
var work = make(chan func())

func init() {
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from Go\n")
	})
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"message": "hello", "path": r.URL.Path, "query": r.URL.Query()})
	})
	go func() {
		for f := range work {
			f()
		}
	}()
}

type responseWriter struct {
	header http.Header
	status int
	body   []byte
}

func (w *responseWriter) Header() http.Header  { return w.header }
func (w *responseWriter) WriteHeader(code int) { w.status = code }
func (w *responseWriter) Write(p []byte) (int, error) {
	w.body = append(w.body, p...)
	return len(p), nil
}

// serve answers GET path on the worker goroutine; the body's length.
func serve(path string) int32 {
	req := &http.Request{
		Method: "GET",
		URL:    &url.URL{Path: path},
		Proto:  "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:     http.Header{"User-Agent": {"bench"}, "Accept": {"*/*"}},
		Host:       "127.0.0.1",
		RequestURI: path,
		Body:       http.NoBody,
	}
	w := &responseWriter{header: http.Header{}, status: http.StatusOK}
	done := make(chan struct{})
	work <- func() {
		mux.ServeHTTP(w, req)
		close(done)
	}
	<-done
	return int32(len(w.body))
}

//go:wasmexport hello
func hello() int32 { return serve("/hello") }

//go:wasmexport json
func jsonHandler() int32 { return serve("/json") }

// noop is the cost of entering Go at all.
//
//go:wasmexport noop
func noop() int32 { return 0 }

func main() {}
