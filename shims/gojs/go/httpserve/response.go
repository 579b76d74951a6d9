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
	// map do not change the head; declared trailers are read from header at the end); nil
	// when that was empty.
	sent http.Header
	// contentType and contentLength, when not empty, go out with sent: fields the server adds
	// (as net/http's extraHeader), kept apart so that sent need not be made or grown for them.
	contentType, contentLength string
	status                     int
	wroteHeader                bool
	// buf is output not yet handed to the host (only before streaming starts).
	buf []byte
	// headOut: the Response may be built (ready, if any, is closed); streaming: with a
	// stream body, fed through chunks (made when streaming starts).
	headOut   bool
	streaming bool
	// ready is closed when the head goes out, for the Workers path, which makes it (the
	// direct path uses onHead).
	ready      chan struct{}
	jsResponse js.Value
	chunks     chan []byte
	// done is closed once the response has ended (see end); made with chunks, as only a
	// streamed response's writers and pump wait on it.
	done  chan struct{}
	ended bool
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
	w := &responseWriter{}
	w.init(ctx, cancel, method)
	return w
}

// init readies a zero responseWriter (one allocated as part of something else).
func (w *responseWriter) init(ctx context.Context, cancel context.CancelFunc, method string) {
	*w = responseWriter{ctx: ctx, method: method, status: http.StatusOK, cancel: cancel}
}

// Header is made on first use (many handlers never set a header).
func (w *responseWriter) Header() http.Header {
	if w.header == nil {
		w.header = http.Header{}
	}
	return w.header
}

// end marks the response ended (the handler returned, or the client went away) and wakes
// whatever waits on done. Goroutines of a GOOS=js program all run on one thread and switch
// only where they block, so a flag does what a sync.Once would.
func (w *responseWriter) end() {
	if !w.ended {
		w.ended = true
		if w.done != nil {
			close(w.done)
		}
	}
}

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
	if len(w.header) > 0 {
		w.sent = cloneHeader(w.header)
	}
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

// EnableFullDuplex is for http.ResponseController: the handler may read the request body while
// it writes the response (on both paths the host reads one and writes the other as streams of
// their own), so there is nothing to enable. net/http's HTTP/1 server needs it asked for.
func (w *responseWriter) EnableFullDuplex() error {
	return nil
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
	w.chunks = make(chan []byte)
	w.done = make(chan struct{})
	if w.ended {
		close(w.done)
	}
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
	if _, ok := w.sent["Content-Type"]; !ok && len(first) > 0 && bodyAllowed(w.status) && headerValue(w.sent, "Transfer-Encoding") == "" && headerValue(w.sent, "Content-Encoding") == "" {
		w.contentType = http.DetectContentType(first)
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
	if w.ready != nil {
		close(w.ready)
	}
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
	w.end()
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
	w.sent = cloneHeader(w.header)
	w.buf = []byte(http.StatusText(http.StatusInternalServerError) + "\n")
}

// trailers are what net/http's server sends after the body: the values, as they are when the
// handler returns, of the names the head declared in its Trailer header, and of every header
// named with http.TrailerPrefix (undeclared: hosts that only send declared trailers, hyper's
// HTTP/1.1 among them, drop those).
func (w *responseWriter) trailers() http.Header {
	if len(w.header) == 0 {
		// Nothing to send, declared or not.
		return nil
	}
	var t http.Header
	set := func(name string, values []string) {
		if t == nil {
			t = http.Header{}
		}
		t[name] = values
	}
	for _, name := range trailerNames(w.sent["Trailer"]) {
		if values, ok := w.header[name]; ok {
			set(name, values)
		}
	}
	for name, values := range w.header {
		if strings.HasPrefix(name, http.TrailerPrefix) {
			set(http.CanonicalHeaderKey(strings.TrimPrefix(name, http.TrailerPrefix)), values)
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
	// The server's own fields (see responseWriter.contentType), sent after header.
	contentType, contentLength string
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
		if w.method != http.MethodHead && headerValue(w.sent, "Content-Length") == "" && headerValue(w.sent, "Transfer-Encoding") == "" {
			w.contentLength = "0"
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
		if !declared && (w.method != http.MethodHead || len(w.buf) > 0) && headerValue(w.sent, "Content-Length") == "" && headerValue(w.sent, "Transfer-Encoding") == "" {
			w.contentLength = strconv.Itoa(len(w.buf))
		}
	}
	o.header, o.contentType, o.contentLength = w.sent, w.contentType, w.contentLength
	return o
}

type field struct{ name, value string }

// serverFields are the server's own fields of the head; those with an empty value are not sent.
func (o *outgoing) serverFields() [2]field {
	return [2]field{{"Content-Type", o.contentType}, {"Content-Length", o.contentLength}}
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
	headers := toHeaders(o.header)
	for _, f := range o.serverFields() {
		if f.value != "" {
			headers.Call("append", f.name, f.value)
		}
	}
	init.Set("headers", headers)
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
			if needsCleaning(v) {
				v = textproto.TrimString(headerNewlineToSpace.Replace(v))
			}
			f(name, v)
		}
	}
}

// headerValue is h.Get(name) for a name already in canonical form: the same value without
// canonicalizing name again, which in Go's wasm costs hundreds of instructions a call.
func headerValue(h http.Header, name string) string {
	if v := h[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// cloneHeader is h.Clone() (nil values stay nil, every value list is a capped slice of arrays
// the lists share) in one pass over the map instead of two: each range over a map draws a
// random starting point, which in Go's wasm costs more than copying a small header.
func cloneHeader(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	h2 := make(http.Header, len(h))
	// Most fields have one value; a longer list grows the array, and the values already
	// copied stay in the old one.
	sv := make([]string, 0, len(h))
	for k, vv := range h {
		if vv == nil {
			h2[k] = nil
			continue
		}
		n := len(sv)
		sv = append(sv, vv...)
		h2[k] = sv[n:len(sv):len(sv)]
	}
	return h2
}

var headerNewlineToSpace = strings.NewReplacer("\n", " ", "\r", " ")

// needsCleaning: v has a line break or space around it (see forEachSendable); most values do
// not, and are sent without a pass of the replacer.
func needsCleaning(v string) bool {
	if v == "" {
		return false
	}
	if isSpace(v[0]) || isSpace(v[len(v)-1]) {
		return true
	}
	for i := 0; i < len(v); i++ {
		if v[i] == '\n' || v[i] == '\r' {
			return true
		}
	}
	return false
}

// isSpace is what textproto.TrimString trims.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

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
		w.end()
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
