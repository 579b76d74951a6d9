//go:build js && wasm && go1.24

package httpserve

// The direct request path: a host that knows these exports (the WASI shim of
// wasm-server-bindgen) hands a request to Go as bytes and takes the response back as bytes,
// instead of as JS objects through syscall/js. Go's own work for a small request is ~15 µs on
// wasmtime; the same request through syscall/js costs the guest over ten times that (every JS
// value Go receives gets a finalizer; the shim plays a JS object model; a Promise and a
// callback per request), so hosts use this path where they can, and the Workers contract
// (binding.handleRequest) where they do not know it (node, Workers runtimes): for them the
// exports are inert.
//
// The host, for each request (one at a time per instance):
//  1. p = wsb_http_buffer(n): a Go buffer of n bytes, plus room for the host's return area;
//  2. writes the request head there (see parseHead) and calls wsb_http_request(id, n);
//  3. runs Go's event loop (resume) and after every resume takes the records Go has for it,
//     wsb_http_take() = address<<32 | length, until 0 (see the record kinds below): a taken
//     record's bytes stay valid until the next take;
//  4. answers a body pull (recordPull) with wsb_http_buffer(n), the bytes written there, then
//     wsb_http_body(id, n, kind) (see the delivery kinds below): at once when the client's
//     bytes are there, else between two resumes once they have come, Go running meanwhile
//     (its timers, the request's other records); an earlier host waited for the client only
//     until Go had work due, then answered deliverWait and met the reader's next pull after
//     resuming Go;
//  5. if the client has gone away (a body chunk could not be written), calls
//     wsb_http_cancel(id): the request's context is cancelled and the handler's writes fail.
// A body chunk written to the client lets the handler write the next one (backpressure, as the
// JS path's stream pulls do): a host that says binding.directSentAcks answers each chunk record
// with deliverSent once the client has taken it (between two resumes when not at once; an
// earlier host answered deliverSendWait when Go had work due first, and the writer asks again
// with recordDrain after that work), so that a client that does not read holds only the writer,
// not Go's timers nor the request body's reader; with an older host a taken chunk counts as
// written (that host writes it before it resumes Go). A request body comes only as fast as the
// handler reads it, one pull at a time.
//
// The exports run while Go is paused between the host's resume calls, on no goroutine of
// their own: they must never block (no channel operation that can wait, no I/O, not even an
// error message to stderr, which waits on a JS callback), and they allocate as little as they
// can (an allocation can make the caller assist the garbage collector and park). So
// wsb_http_request only hands the head to a worker goroutine (parsing and the handler run
// there), and wsb_http_body only hands the buffer to the reader waiting for it.

import (
	"context"
	"encoding/binary"
	"errors"
	"net/http"
	"strings"
	"syscall/js"
	"unsafe"
)

// Record kinds, Go to host. Each record is the kind byte, the request id (u32), then:
const (
	// recordWhole: the complete response: status (u32), headers, trailers, then the body.
	recordWhole = 'R'
	// recordHead: status (u32) and headers; the body follows in chunks.
	recordHead = 'H'
	// recordChunk: body bytes.
	recordChunk = 'C'
	// recordEnd: the body has ended; trailers.
	recordEnd = 'E'
	// recordAbort: a message; the host answers 500 if the head has not gone out (the host's
	// request head was malformed), else cuts the response short (the handler panicked after
	// the head went out).
	recordAbort = 'A'
	// recordPull: the handler reads the request body: the host delivers its next bytes (at
	// most the u32 that follows) with wsb_http_body.
	recordPull = 'B'
	// recordDrain: the body's writer asks again whether its last chunk has gone out (after a
	// deliverSendWait); the host answers as it answers a chunk.
	recordDrain = 'D'
)

// Deliveries, host to Go (wsb_http_body's kind): of the request body, and (5, 6) the answers to
// response body chunks.
const (
	// deliverBytes: the next bytes of the body (never empty).
	deliverBytes = 1
	// deliverEnd: the body has ended; the bytes are its trailers, as fields.
	deliverEnd = 2
	// deliverError: reading the body failed (the client went away); the bytes say why.
	deliverError = 3
	// deliverWait: nothing yet (no bytes): the client has sent nothing more, and Go has work
	// due first (a timer, a runnable goroutine). The reader pulls again after that work has
	// run, so that a handler's deadline fires during a stalled upload. Hosts send it only when
	// the binding says directWait (and current hosts answer later instead).
	deliverWait = 4
	// deliverSent: the client has taken the body chunk the writer handed over last (no bytes).
	deliverSent = 5
	// deliverSendWait: not yet, and Go has work due first; the writer asks again (recordDrain).
	// Earlier hosts send it; current hosts answer deliverSent later instead.
	deliverSendWait = 6
)

// pullSize is how much of the request body one pull asks for (the host may deliver less).
const pullSize = 64 << 10

// Headers and trailers are a count (u32) and that many (name, value) pairs; every string and
// byte run is a u32 length and the bytes. Integers are little-endian.

type record struct {
	bytes []byte
	// taken, when not nil, is closed when the host takes the record.
	taken chan struct{}
}

type directExchange struct {
	id uint32
	w  *responseWriter
	// writer is where w points (one allocation for both).
	writer responseWriter
	// ctx is the request's context.
	ctx requestContext
	// body reads the request body, for requests that have one.
	body *directBody
	// registered: in direct.exchanges (see register).
	registered bool
	// sent takes the host's answers to the body chunks (deliverSent, deliverSendWait), when
	// the host gives them (direct.sentAcks).
	sent chan uint32
}

var direct struct {
	handler http.Handler
	in      []byte
	// pending: see startPending.
	pending []pendingRequest
	// outbox holds the records not taken yet, from outboxNext on (its backing array is
	// reused once all are taken).
	outbox     []record
	outboxNext int
	// taking is the record the host is copying (kept reachable until the next take).
	taking    []byte
	exchanges map[uint32]*directExchange
	// sentAcks: the host answers body chunks (binding.directSentAcks).
	sentAcks bool
}

// inBufferSize is the buffer made up front for what the host hands Go: request heads and
// body deliveries (at most pullSize) with the host's return area, so that the exports find it
// big enough (a larger head gets a larger one, made inside wsb_http_buffer).
const inBufferSize = pullSize + 16

// serveDirect enables the direct path for handler and tells the host it may use it.
func serveDirect(handler http.Handler, binding js.Value) {
	direct.handler = handler
	direct.exchanges = map[uint32]*directExchange{}
	direct.in = make([]byte, inBufferSize)
	binding.Set("directRequests", true)
	// This package takes deliverWait (older versions of it read it as an error).
	binding.Set("directWait", true)
	if binding.Get("directSentAcks").Truthy() {
		// The writer waits for deliverSent (a host that does not answer chunks would leave it
		// waiting forever, hence the host's offer first).
		direct.sentAcks = true
		binding.Set("directSent", true)
	}
}

// noBytes takes the host's return area for deliveries without bytes (the answers to body
// chunks), so that they leave direct.in alone: a reader may hold its buffer, to give it back
// once it has used the bytes (see directBody.release). Two words: 8-aligned.
var noBytes [2]uint64

//go:wasmexport wsb_http_buffer
func directBuffer(n uint32) uint32 {
	if n == 0 {
		return uint32(uintptr(unsafe.Pointer(&noBytes)))
	}
	// The host's return area (8 bytes, 8-aligned) follows the bytes.
	if need := int(n) + 16; cap(direct.in) < need {
		direct.in = make([]byte, need)
	}
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(direct.in))))
}

//go:wasmexport wsb_http_request
func directRequest(id, n uint32) {
	// The worker parses from the buffer itself: the next request gets a new one.
	head := direct.in[:n]
	direct.in = nil
	direct.pending = append(direct.pending, pendingRequest{id, head})
	spawn(startPending)
}

// pendingRequest is a request head handed over and not yet taken by a worker.
type pendingRequest struct {
	id   uint32
	head []byte
}

// startPending starts the request handed over first of those waiting (each
// wsb_http_request spawns one startPending, a plain function: no closure to allocate).
func startPending() {
	p := direct.pending[0]
	// Shifted down (rarely more than one waits) to keep the backing array for the next ones.
	n := copy(direct.pending, direct.pending[1:])
	direct.pending[n] = pendingRequest{}
	direct.pending = direct.pending[:n]
	startDirect(p.id, p.head)
}

// startDirect parses a request head and runs the handler (on a worker goroutine).
func startDirect(id uint32, head []byte) {
	method, rawURL, header, hasBody, err := parseHead(head)
	if direct.in == nil {
		// Parsed (the strings are copies): the buffer serves the next request.
		direct.in = head[:cap(head)]
	}
	if err != nil {
		// A head the host got wrong: the host answers 500 and logs why.
		push(abortRecord(id, err.Error()), false)
		return
	}
	// The exchange holds the response writer and the request's context (one allocation).
	ex := &directExchange{id: id}
	ex.w = &ex.writer
	ctx, cancel := &ex.ctx, ex.ctx.cancel
	req, err := newRequest(ctx, method, rawURL, header)
	if err != nil {
		ex.w.init(context.Background(), func() {}, method)
		ex.w.onHead = ex.headOut
		badRequest(ex.w, err)
		return
	}
	ex.w.init(ctx, cancel, req.Method)
	ex.w.onHead = ex.headOut
	done := cancel
	if hasBody {
		setBodyFraming(req)
		ex.body = &directBody{id: id, ctx: ctx, cancel: cancel, req: req, ready: make(chan struct{}, 1)}
		req.Body = ex.body
		// Deliveries find the reader by the request's id.
		ex.register()
		// As net/http's server: the body is closed once the handler has returned (later reads
		// fail), which also gives a delivery the handler left unread back to the host's use.
		done = func() {
			cancel()
			ex.body.Close()
		}
	}
	runHandler(direct.handler, ex.w, req, done)
}

// register makes the exchange reachable from the exports that name it by id (body deliveries,
// cancellation): only exchanges that can be named there, those with a request body or a
// streamed response, to spare the others a map insertion and deletion.
func (ex *directExchange) register() {
	if !ex.registered {
		ex.registered = true
		direct.exchanges[ex.id] = ex
	}
}

func (ex *directExchange) unregister() {
	if ex.registered {
		ex.registered = false
		delete(direct.exchanges, ex.id)
	}
}

//go:wasmexport wsb_http_take
func directTake() uint64 {
	if direct.outboxNext == len(direct.outbox) {
		direct.outbox, direct.outboxNext = direct.outbox[:0], 0
		direct.taking = nil
		return 0
	}
	r := direct.outbox[direct.outboxNext]
	direct.outbox[direct.outboxNext] = record{}
	direct.outboxNext++
	direct.taking = r.bytes
	if r.taken != nil {
		close(r.taken)
	}
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(r.bytes))))<<32 | uint64(len(r.bytes))
}

//go:wasmexport wsb_http_body
func directBodyDelivery(id, n, kind uint32) {
	ex := direct.exchanges[id]
	if kind == deliverSent || kind == deliverSendWait {
		if ex != nil && ex.sent != nil {
			// The writer waits for at most one answer: the channel has room for it.
			select {
			case ex.sent <- kind:
			default:
			}
		}
		return
	}
	if ex == nil || ex.body == nil || ex.body.delivered || ex.body.closed || ex.body.ctx.Err() != nil {
		// Nobody is waiting (the request has ended, or its reader gave up): the buffer stays
		// with the host's next call.
		return
	}
	// The buffer is the reader's until it has used the bytes (see directBody.release).
	b := ex.body
	b.kind, b.delivery, b.delivered = kind, direct.in[:n], true
	direct.in = nil
	select {
	case b.ready <- struct{}{}:
	default:
	}
}

//go:wasmexport wsb_http_cancel
func directCancel(id uint32) {
	if ex := direct.exchanges[id]; ex != nil {
		w := ex.w
		w.cancelled = true
		w.end()
		w.cancel()
		if ex.sent != nil {
			// A writer waiting for its chunk to go out hears that it never will.
			select {
			case ex.sent <- 0:
			default:
			}
		}
	}
}

// push queues b for the host; with wait, until the host has taken it.
func push(b []byte, wait bool) {
	r := record{bytes: b}
	if wait {
		r.taken = make(chan struct{})
	}
	direct.outbox = append(direct.outbox, r)
	if wait {
		<-r.taken
	}
}

// headOut hands the response to the host as its head goes out (on the handler's goroutine):
// whole when the handler is done with it, else the head, then the body from a pump goroutine.
func (ex *directExchange) headOut() {
	w := ex.w
	o := w.outgoing()
	if !o.stream {
		ex.unregister()
		b := newRecord(recordWhole, ex.id, 4+o.fieldsSize()+fieldsSize(o.trailers)+len(o.body))
		b = binary.LittleEndian.AppendUint32(b, uint32(o.status))
		b = appendFields(o.appendHeader(b), o.trailers)
		push(append(b, o.body...), false)
		return
	}
	// From here the host may cancel the request by its id.
	ex.register()
	if direct.sentAcks {
		ex.sent = make(chan uint32, 1)
	}
	b := newRecord(recordHead, ex.id, 4+o.fieldsSize())
	b = binary.LittleEndian.AppendUint32(b, uint32(o.status))
	push(o.appendHeader(b), false)
	spawn(ex.pump)
}

// pump hands over the body chunks as the handler writes them, each once the one before has
// gone out (so a slow client slows the handler), then the end.
func (ex *directExchange) pump() {
	w := ex.w
	defer ex.unregister()
	for {
		select {
		case chunk := <-w.chunks:
			if !w.cancelled {
				push(append(newRecord(recordChunk, ex.id, len(chunk)), chunk...), true)
				ex.waitSent()
			}
		case <-w.done:
			// Chunks written before the handler returned are already taken: done closes
			// only after the last Write returned.
			switch {
			case w.cancelled:
			case w.failure != nil:
				push(abortRecord(ex.id, w.failure.Error()), false)
			default:
				t := w.trailers()
				push(appendFields(newRecord(recordEnd, ex.id, fieldsSize(t)), t), false)
			}
			return
		}
	}
}

// waitSent waits until the host has written the chunk it took last (with a host that answers
// chunks), running Go's other work meanwhile, or the request has been cancelled.
func (ex *directExchange) waitSent() {
	if ex.sent == nil {
		return
	}
	// Not w.done: that closes when the handler returns, with its last chunk still going out.
	for <-ex.sent == deliverSendWait {
		// Go had work due; it has run by now. Ask again.
		push(newRecord(recordDrain, ex.id, 0), false)
	}
}

// newRecord starts a record of kind for request id, with room for size more bytes (records are
// built with one allocation where their size is known).
func newRecord(kind byte, id uint32, size int) []byte {
	b := make([]byte, 5, 5+size)
	b[0] = kind
	binary.LittleEndian.PutUint32(b[1:], id)
	return b
}

func abortRecord(id uint32, msg string) []byte {
	return append(newRecord(recordAbort, id, len(msg)), msg...)
}

func appendBytes(b []byte, s string) []byte {
	return append(binary.LittleEndian.AppendUint32(b, uint32(len(s))), s...)
}

// appendFields appends h's sendable fields (see forEachSendable).
func appendFields(b []byte, h http.Header) []byte {
	at := len(b)
	b = append(b, 0, 0, 0, 0)
	var n uint32
	forEachSendable(h, func(name, value string) {
		b = appendBytes(appendBytes(b, name), value)
		n++
	})
	binary.LittleEndian.PutUint32(b[at:], n)
	return b
}

// appendHeader appends the head's fields: the handler's, then the server's own (see outgoing).
func (o *outgoing) appendHeader(b []byte) []byte {
	at := len(b)
	b = appendFields(b, o.header)
	n := binary.LittleEndian.Uint32(b[at:])
	for _, f := range o.serverFields() {
		if f.value != "" {
			b = appendBytes(appendBytes(b, f.name), f.value)
			n++
		}
	}
	binary.LittleEndian.PutUint32(b[at:], n)
	return b
}

// fieldsSize is what appendHeader makes of the head's fields, at most.
func (o *outgoing) fieldsSize() int {
	n := fieldsSize(o.header)
	for _, f := range o.serverFields() {
		n += 8 + len(f.name) + len(f.value)
	}
	return n
}

// fieldsSize is what appendFields makes of h at most (values cleaned for sending may come
// out shorter), to size a record up front.
func fieldsSize(h http.Header) int {
	n := 4
	for name, values := range h {
		for _, v := range values {
			n += 8 + len(name) + len(v)
		}
	}
	return n
}

var errHead = errors.New("malformed request head from the host")

// parseHead reads the request head the host wrote: method, URL (absolute), the header fields
// as the client sent them (repeated names apart, as net/http's server keeps them), then
// whether a body follows (u32, 0 or 1: the host's rule is the Workers path's, every method but
// GET and HEAD). The strings are cut from one copy of the head (one allocation, not one per
// string), with the field names made canonical in b first.
func parseHead(b []byte) (method, rawURL string, header http.Header, hasBody bool, err error) {
	// First pass: check the layout, make names canonical in place.
	rest, ok := b, false
	if _, rest, ok = cutBytes(rest); !ok {
		return "", "", nil, false, errHead
	}
	if _, rest, ok = cutBytes(rest); !ok {
		return "", "", nil, false, errHead
	}
	if len(rest) < 4 {
		return "", "", nil, false, errHead
	}
	count := binary.LittleEndian.Uint32(rest)
	rest = rest[4:]
	for range count {
		var name []byte
		if name, rest, ok = cutBytes(rest); !ok {
			return "", "", nil, false, errHead
		}
		canonicalizeHeaderKey(name)
		if _, rest, ok = cutBytes(rest); !ok {
			return "", "", nil, false, errHead
		}
	}
	if len(rest) != 4 {
		return "", "", nil, false, errHead
	}
	hasBody = binary.LittleEndian.Uint32(rest) != 0
	// Second pass: the strings.
	all := string(b)
	at := 0
	next := func() string {
		n := int(binary.LittleEndian.Uint32(b[at:]))
		at += 4 + n
		return all[at-n : at]
	}
	method, rawURL = next(), next()
	at += 4
	header = make(http.Header, count)
	// One backing array for the values, as net/http's reader does; a repeated name appends.
	values := make([]string, count)
	for i := range values {
		name, value := next(), next()
		if have, ok := header[name]; ok {
			header[name] = append(have, value)
			continue
		}
		values[i] = value
		header[name] = values[i : i+1 : i+1]
	}
	return method, rawURL, header, hasBody, nil
}

// parseFields reads a field list (see appendFields) at the start of b: the fields (names as
// they came: Header.Add canonicalises them) and what follows them.
func parseFields(b []byte) (http.Header, []byte, bool) {
	if len(b) < 4 {
		return nil, nil, false
	}
	count := binary.LittleEndian.Uint32(b)
	b = b[4:]
	header := http.Header{}
	for range count {
		var name, value []byte
		var ok bool
		if name, b, ok = cutBytes(b); !ok {
			return nil, nil, false
		}
		if value, b, ok = cutBytes(b); !ok {
			return nil, nil, false
		}
		header.Add(string(name), string(value))
	}
	return header, b, true
}

// cutBytes reads a u32 length and that many bytes (not copied) at the start of b.
func cutBytes(b []byte) ([]byte, []byte, bool) {
	if len(b) < 4 {
		return nil, nil, false
	}
	n := binary.LittleEndian.Uint32(b)
	if uint64(len(b)-4) < uint64(n) {
		return nil, nil, false
	}
	return b[4 : 4+n], b[4+n:], true
}

// canonicalizeHeaderKey makes a field name canonical in place, as
// textproto.CanonicalMIMEHeaderKey does (which would allocate a copy of every lower-case name
// a host hands over): a name with a byte outside a token is left as it is.
func canonicalizeHeaderKey(name []byte) {
	for _, c := range name {
		if !isTokenByte(c) {
			return
		}
	}
	upper := true
	for i, c := range name {
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		name[i] = c
		upper = c == '-'
	}
}

// isTokenByte: a byte of an RFC 9110 token (textproto's validHeaderFieldByte).
func isTokenByte(c byte) bool {
	return isAlnum(c) || c < 0x80 && strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
