//go:build js && wasm

package httpserve

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall/js"
)

// responseWriter streams the handler's output into a ReadableStream: each Write waits until
// the host pulls the chunk, so a slow client slows the handler instead of filling memory.
type responseWriter struct {
	header http.Header
	// sent is header as it was when the head was sent (as net/http, later changes to the
	// header map do not change the head; declared trailers are read from header at the end).
	sent       http.Header
	status     int
	jsResponse js.Value
	headerOnce sync.Once
	headerSent chan struct{}
	chunks     chan []byte
	done       chan struct{}
	doneOnce   sync.Once
	failure    error
	cancel     context.CancelFunc
}

func newResponseWriter(cancel context.CancelFunc) *responseWriter {
	return &responseWriter{
		header:     http.Header{},
		status:     http.StatusOK,
		headerSent: make(chan struct{}),
		chunks:     make(chan []byte),
		done:       make(chan struct{}),
		cancel:     cancel,
	}
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(code int) {
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	w.headerOnce.Do(func() {
		w.status = code
		w.commit()
	})
}

func (w *responseWriter) Write(p []byte) (int, error) {
	w.headerOnce.Do(func() {
		// As net/http's server does for a handler that writes without a Content-Type.
		if _, ok := w.header["Content-Type"]; !ok && w.header.Get("Transfer-Encoding") == "" {
			w.header.Set("Content-Type", http.DetectContentType(p))
		}
		w.commit()
	})
	if len(p) == 0 {
		return 0, nil
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	chunk := append([]byte(nil), p...)
	select {
	case w.chunks <- chunk:
		return len(p), nil
	case <-w.done:
		return 0, fmt.Errorf("httpserve: response body closed by the client")
	}
}

// commit fixes the head: status and a copy of the header. Called once, under headerOnce.
func (w *responseWriter) commit() {
	w.sent = w.header.Clone()
	close(w.headerSent)
}

// trailers are what net/http's server sends after the body: the values, as they are when the
// handler returns, of the names the head declared in its Trailer header, and of every header
// named with http.TrailerPrefix (undeclared: hosts that only send declared trailers, hyper's
// HTTP/1.1 among them, drop those).
func (w *responseWriter) trailers() http.Header {
	t := http.Header{}
	for _, list := range w.sent["Trailer"] {
		for _, name := range strings.Split(list, ",") {
			name = http.CanonicalHeaderKey(strings.TrimSpace(name))
			if values, ok := w.header[name]; ok && name != "" {
				t[name] = values
			}
		}
	}
	for name, values := range w.header {
		if strings.HasPrefix(name, http.TrailerPrefix) {
			t[http.CanonicalHeaderKey(strings.TrimPrefix(name, http.TrailerPrefix))] = values
		}
	}
	return t
}

// Flush sends the header now; body chunks are never held back.
func (w *responseWriter) Flush() { w.WriteHeader(w.status) }

// finish ends the body once the handler has returned.
func (w *responseWriter) finish() {
	w.WriteHeader(w.status)
	w.doneOnce.Do(func() { close(w.done) })
}

// abort handles a handler panic: a 500 when nothing was sent yet, otherwise the stream
// errors so the host cuts the response short rather than presenting it as complete.
func (w *responseWriter) abort(p any) {
	sentAlready := true
	body := []byte(http.StatusText(http.StatusInternalServerError) + "\n")
	w.headerOnce.Do(func() {
		sentAlready = false
		w.status = http.StatusInternalServerError
		w.header = http.Header{"Content-Type": {"text/plain; charset=utf-8"}, "Content-Length": {strconv.Itoa(len(body))}}
		w.commit()
	})
	if !sentAlready {
		select {
		case w.chunks <- body:
		case <-w.done:
		}
		return
	}
	w.failure = fmt.Errorf("handler panic: %v", p)
}

func bodyAllowed(status int) bool {
	return !(status >= 100 && status < 200 || status == 204 || status == 205 || status == 304)
}

// toJS builds the Response: status, every header value (appended, so repeated headers stay
// separate where the host keeps them apart) and a pull-driven body stream.
func (w *responseWriter) toJS() js.Value {
	headers := toHeaders(w.sent)
	init := objectClass.New()
	init.Set("status", w.status)
	init.Set("headers", headers)
	body := js.Null()
	if bodyAllowed(w.status) {
		body = w.stream()
	} else {
		// Nothing will be read: let the handler's writes fail fast instead of blocking.
		go func() {
			for {
				select {
				case <-w.chunks:
				case <-w.done:
					return
				}
			}
		}()
	}
	w.jsResponse = responseClass.New(body, init)
	return w.jsResponse
}

// toHeaders makes a Headers object of h, less the names with http.TrailerPrefix (trailers).
func toHeaders(h http.Header) js.Value {
	headers := headersClass.New()
	for name, values := range h {
		if strings.HasPrefix(name, http.TrailerPrefix) {
			continue
		}
		for _, v := range values {
			headers.Call("append", name, v)
		}
	}
	return headers
}

func (w *responseWriter) stream() js.Value {
	source := objectClass.New()
	var pull, cancel js.Func
	pull = js.FuncOf(func(_ js.Value, args []js.Value) any {
		controller := args[0]
		var executor js.Func
		executor = js.FuncOf(func(_ js.Value, pargs []js.Value) any {
			executor.Release()
			resolve := pargs[0]
			go func() {
				select {
				case chunk := <-w.chunks:
					arr := uint8ArrayClass.New(len(chunk))
					js.CopyBytesToJS(arr, chunk)
					controller.Call("enqueue", arr)
				case <-w.done:
					// Chunks written before the handler returned are already taken: done
					// closes only after the last Write returned.
					if w.failure != nil {
						controller.Call("error", errorClass.New(w.failure.Error()))
					} else {
						// Not WHATWG (a Response has no trailers): the hosts of this package
						// read response.trailers when the body ends.
						if t := w.trailers(); len(t) > 0 {
							w.jsResponse.Set("trailers", toHeaders(t))
						}
						controller.Call("close")
					}
					pull.Release()
					cancel.Release()
				}
				resolve.Invoke()
			}()
			return nil
		})
		return promiseClass.New(executor)
	})
	cancel = js.FuncOf(func(js.Value, []js.Value) any {
		// The client went away: stop the handler's writes and cancel its context.
		w.doneOnce.Do(func() { close(w.done) })
		w.cancel()
		return nil
	})
	source.Set("pull", pull)
	source.Set("cancel", cancel)
	return streamClass.New(source)
}
