//go:build js && wasm

package httpserve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall/js"
)

// bufferSize is how much output is held before the head goes out, as net/http's server holds
// it (its 4 KiB bufio.Writer): a handler that returns within it answers with a plain body and
// a Content-Length in one hand-over to the host, instead of a stream pulled chunk by chunk.
const bufferSize = 4 << 10

var errClientGone = errors.New("httpserve: response body closed by the client")

// responseWriter holds the handler's first bytes (see bufferSize); past them, or on Flush, the
// head goes out and the body streams into a ReadableStream: each Write then waits until the
// host pulls its chunk, so a slow client slows the handler instead of filling memory.
type responseWriter struct {
	method string
	header http.Header
	// sent is header as it was at WriteHeader (as in net/http, later changes to the header
	// map do not change the head; declared trailers are read from header at the end).
	sent        http.Header
	status      int
	wroteHeader bool
	// buf is output not yet handed to the host (only before streaming starts).
	buf []byte
	// headOut: the Response may be built (ready is closed); streaming: with a stream body.
	headOut    bool
	streaming  bool
	ready      chan struct{}
	jsResponse js.Value
	chunks     chan []byte
	done       chan struct{}
	doneOnce   sync.Once
	// cancelled: the host cancelled the body (the client left: the JS stream's cancel, or
	// wsb_http_cancel on the direct path); a JS stream's controller must not be used any
	// more (node's throws).
	cancelled bool
	failure   error
	ctx       context.Context
	cancel    context.CancelFunc
	// onHead, when set, runs as the head goes out, on the goroutine that sends it (the
	// direct path hands the response over there instead of waiting on ready).
	onHead func()
}

func newResponseWriter(ctx context.Context, cancel context.CancelFunc, method string) *responseWriter {
	return &responseWriter{
		ctx:    ctx,
		method: method,
		header: http.Header{},
		status: http.StatusOK,
		ready:  make(chan struct{}),
		chunks: make(chan []byte),
		done:   make(chan struct{}),
		cancel: cancel,
	}
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(code int) {
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	// A Response cannot carry informational answers (net/http sends them ahead of the final
	// one): they are dropped, and the handler's next WriteHeader is the final status.
	if w.wroteHeader || code >= 100 && code <= 199 {
		return
	}
	w.wroteHeader = true
	w.status = code
	w.sent = w.header.Clone()
}

func (w *responseWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if len(p) == 0 {
		return 0, nil
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if !w.streaming {
		if len(w.buf)+len(p) <= bufferSize {
			w.buf = append(w.buf, p...)
			return len(p), nil
		}
		if !w.startStreaming(p) {
			return 0, errClientGone
		}
	}
	if !w.send(append([]byte(nil), p...)) {
		return 0, errClientGone
	}
	return len(p), nil
}

// Flush sends the head and whatever is held now.
func (w *responseWriter) Flush() {
	w.WriteHeader(http.StatusOK)
	if !bodyAllowed(w.status) {
		w.headIsOut(nil)
	} else if !w.streaming {
		w.startStreaming(nil)
	}
}

// startStreaming sends the head with a stream body whose first chunk is what is held (next:
// the write that did not fit, which follows); false when the client has gone away.
func (w *responseWriter) startStreaming(next []byte) bool {
	w.streaming = true
	first := w.buf
	if len(first) < sniffLen {
		first = append(first[:len(first):len(first)], next[:min(len(next), sniffLen-len(first))]...)
	}
	w.headIsOut(first)
	held := w.buf
	w.buf = nil
	return len(held) == 0 || w.send(held)
}

// sniffLen is how much of the body http.DetectContentType looks at.
const sniffLen = 512

// headIsOut lets the Response be built. As net/http's server does for a handler that did not
// set a Content-Type, it is sniffed from the body's first bytes (not for an encoded body,
// whose bytes say nothing of its type); a status without a body loses the headers that
// describe one.
func (w *responseWriter) headIsOut(first []byte) {
	if w.headOut {
		return
	}
	if _, ok := w.sent["Content-Type"]; !ok && len(first) > 0 && bodyAllowed(w.status) && w.sent.Get("Transfer-Encoding") == "" && w.sent.Get("Content-Encoding") == "" {
		w.sent.Set("Content-Type", http.DetectContentType(first))
	}
	// net/http's suppressedHeaders: 205 is not among them (its body is empty, not absent).
	if !netHTTPBodyAllowed(w.status) {
		w.sent.Del("Content-Length")
		w.sent.Del("Transfer-Encoding")
		if w.status == http.StatusNotModified {
			w.sent.Del("Content-Type")
		}
	}
	w.headOut = true
	close(w.ready)
	if w.onHead != nil {
		w.onHead()
	}
}

// send hands a chunk to the stream's next pull; false when the stream or the request ended
// (a host that dropped the Response unread never pulls again).
func (w *responseWriter) send(chunk []byte) bool {
	select {
	case w.chunks <- chunk:
		return true
	case <-w.done:
		return false
	case <-w.ctx.Done():
		return false
	}
}

// finish ends the response once the handler has returned: the held body goes out whole, or
// the stream ends.
func (w *responseWriter) finish() {
	w.WriteHeader(http.StatusOK)
	w.headIsOut(w.buf)
	w.doneOnce.Do(func() { close(w.done) })
}

// abort handles a handler panic: a 500 when nothing went out yet (what was held is dropped),
// otherwise the stream errors so the host cuts the response short rather than presenting it
// as complete.
func (w *responseWriter) abort(p any) {
	if w.headOut {
		w.failure = fmt.Errorf("handler panic: %v", p)
		return
	}
	w.header = http.Header{"Content-Type": {"text/plain; charset=utf-8"}}
	w.wroteHeader = true
	w.status = http.StatusInternalServerError
	w.sent = w.header.Clone()
	w.buf = []byte(http.StatusText(http.StatusInternalServerError) + "\n")
}

// trailers are what net/http's server sends after the body: the values, as they are when the
// handler returns, of the names the head declared in its Trailer header, and of every header
// named with http.TrailerPrefix (undeclared: hosts that only send declared trailers, hyper's
// HTTP/1.1 among them, drop those).
func (w *responseWriter) trailers() http.Header {
	t := http.Header{}
	for _, name := range trailerNames(w.sent["Trailer"]) {
		if values, ok := w.header[name]; ok {
			t[name] = values
		}
	}
	for name, values := range w.header {
		if strings.HasPrefix(name, http.TrailerPrefix) {
			t[http.CanonicalHeaderKey(strings.TrimPrefix(name, http.TrailerPrefix))] = values
		}
	}
	return t
}

// netHTTPBodyAllowed is net/http's bodyAllowedForStatus: no body with 1xx, 204, 304.
func netHTTPBodyAllowed(status int) bool {
	return !(status >= 100 && status < 200 || status == 204 || status == 304)
}

// bodyAllowed is net/http's rule plus 205, which a WHATWG Response cannot carry a body with.
func bodyAllowed(status int) bool {
	return netHTTPBodyAllowed(status) && status != 205
}

// outgoing is what goes out once the head is out: the status, the final header, and the body
// — the held bytes (with their Content-Length when the handler has returned; trailers, if
// any, known at once), or a stream fed by the handler's later writes.
type outgoing struct {
	status int
	header http.Header
	// hasBody: a body follows the head (body, or the stream when stream is set).
	hasBody  bool
	body     []byte
	stream   bool
	trailers http.Header
}

func (w *responseWriter) outgoing() outgoing {
	if w.status > 599 {
		// net/http sends them; a Response cannot carry them (and every host of this package
		// answers as node's does).
		fmt.Fprintf(os.Stderr, "httpserve: status %d cannot be sent: answering 500\n", w.status)
		w.status = http.StatusInternalServerError
	}
	o := outgoing{status: w.status}
	switch {
	case w.status == http.StatusResetContent:
		// Empty, as net/http's server frames it when the handler wrote nothing (a Response
		// cannot carry a body with 205 at all).
		if w.method != http.MethodHead && w.sent.Get("Content-Length") == "" && w.sent.Get("Transfer-Encoding") == "" {
			w.sent.Set("Content-Length", "0")
		}
	case !bodyAllowed(w.status):
	case w.streaming:
		o.hasBody, o.stream = true, true
	default:
		o.trailers = w.trailers()
		// Declared in the head (the values may never come) or set with http.TrailerPrefix.
		declared := len(o.trailers) > 0 || len(w.sent["Trailer"]) > 0
		// Trailers need a body to follow, even an empty one.
		o.hasBody, o.body = len(w.buf) > 0 || declared, w.buf
		// As net/http for a handler done within its buffer (not for HEAD, whose body is never
		// written unless the handler wrote it; not when trailers are declared, even if none
		// got a value: they need a chunked body).
		if !declared && (w.method != http.MethodHead || len(w.buf) > 0) && w.sent.Get("Content-Length") == "" && w.sent.Get("Transfer-Encoding") == "" {
			w.sent.Set("Content-Length", strconv.Itoa(len(w.buf)))
		}
	}
	o.header = w.sent
	return o
}

// toJS builds the Response once the head is out: status, every header value (appended, so
// repeated headers stay separate where the host keeps them apart), and the body (see
// outgoing; trailers, if any, set on the Response at once). A status or header the host's
// Response refuses becomes a 500 (or the header is left out) instead of failing the program.
func (w *responseWriter) toJS() js.Value {
	o := w.outgoing()
	init := objectClass.New()
	init.Set("status", o.status)
	body := js.Null()
	switch {
	case o.stream:
		body = w.stream()
	case o.hasBody:
		body = uint8ArrayClass.New(len(o.body))
		js.CopyBytesToJS(body, o.body)
	}
	init.Set("headers", toHeaders(o.header))
	if err := jsCall(func() { w.jsResponse = responseClass.New(body, init) }); err != nil {
		fmt.Fprintf(os.Stderr, "httpserve: the response (status %d) could not be built: %v\n", o.status, err)
		init = objectClass.New()
		init.Set("status", http.StatusInternalServerError)
		w.jsResponse = responseClass.New(http.StatusText(http.StatusInternalServerError)+"\n", init)
	}
	if len(o.trailers) > 0 {
		// Not WHATWG (a Response has no trailers): the hosts of this package read
		// response.trailers when the body ends.
		w.jsResponse.Set("trailers", toHeaders(o.trailers))
	}
	return w.jsResponse
}

// toHeaders makes a Headers object of h (see forEachSendable); a field the host's Headers
// still refuses (a bad name, which net/http drops too, or a character such as NUL) is left
// out and named on stderr.
func toHeaders(h http.Header) js.Value {
	headers := headersClass.New()
	forEachSendable(h, func(name, v string) {
		if err := jsCall(func() { headers.Call("append", name, v) }); err != nil {
			fmt.Fprintf(os.Stderr, "httpserve: header %q not sent: %v\n", name, err)
		}
	})
	return headers
}

// forEachSendable calls f for every value of h as net/http's server writes headers: line
// breaks in a value become spaces and the value is trimmed; names with http.TrailerPrefix
// (trailers) are left out.
func forEachSendable(h http.Header, f func(name, value string)) {
	for name, values := range h {
		if strings.HasPrefix(name, http.TrailerPrefix) {
			continue
		}
		for _, v := range values {
			f(name, textproto.TrimString(headerNewlineToSpace.Replace(v)))
		}
	}
}

var headerNewlineToSpace = strings.NewReplacer("\n", " ", "\r", " ")

// jsCall runs f, turning a JavaScript exception (a js.Error panic) into an error.
func jsCall(f func()) (err error) {
	defer func() {
		if p := recover(); p != nil {
			jsErr, ok := p.(js.Error)
			if !ok {
				panic(p)
			}
			err = jsErr
		}
	}()
	f()
	return nil
}

func (w *responseWriter) stream() js.Value {
	source := objectClass.New()
	var pull, cancel js.Func
	pull = js.FuncOf(func(_ js.Value, args []js.Value) any {
		controller := args[0]
		promise, resolve, _ := newPromise()
		spawn(func() {
			select {
			case chunk := <-w.chunks:
				if !w.cancelled {
					arr := uint8ArrayClass.New(len(chunk))
					js.CopyBytesToJS(arr, chunk)
					controller.Call("enqueue", arr)
				}
			case <-w.done:
				// Chunks written before the handler returned are already taken: done
				// closes only after the last Write returned.
				switch {
				case w.cancelled:
				case w.failure != nil:
					controller.Call("error", errorClass.New(w.failure.Error()))
				default:
					// Not WHATWG: see toJS.
					if t := w.trailers(); len(t) > 0 {
						w.jsResponse.Set("trailers", toHeaders(t))
					}
					controller.Call("close")
				}
				pull.Release()
				cancel.Release()
			}
			resolve.Invoke()
		})
		return promise
	})
	cancel = js.FuncOf(func(js.Value, []js.Value) any {
		// The client went away: stop the handler's writes and cancel its context.
		w.cancelled = true
		w.doneOnce.Do(func() { close(w.done) })
		w.cancel()
		// No pull may come now (a pending one releases them again: harmless).
		pull.Release()
		cancel.Release()
		return nil
	})
	source.Set("pull", pull)
	source.Set("cancel", cancel)
	return streamClass.New(source)
}
