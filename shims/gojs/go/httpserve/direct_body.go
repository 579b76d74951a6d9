//go:build js && wasm && go1.24

package httpserve

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net/http"
	"runtime"
)

// directBody is a request body on the direct path: each Read that finds nothing held asks the
// host for the next bytes (recordPull) and waits for wsb_http_body to deliver them into the
// shared buffer (direct.in), which goes back to the host's use once read.
type directBody struct {
	id  uint32
	ctx context.Context
	// cancel ends the request's context when reading fails (the client went away), as
	// net/http's server does on a broken connection.
	cancel context.CancelFunc
	// req gets the trailers at the end of the body.
	req *http.Request
	// ready is signalled (buffered, never blocking the export) when a delivery is there.
	ready chan struct{}
	// A delivery: its kind, its bytes (in the shared buffer) and whether it is there.
	kind      uint32
	delivery  []byte
	delivered bool
	// held is what is left of delivered body bytes.
	held   []byte
	err    error
	closed bool
}

func (b *directBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	for len(b.held) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		if len(p) == 0 {
			return 0, nil
		}
		b.pull()
	}
	n := copy(p, b.held)
	b.held = b.held[n:]
	if len(b.held) == 0 {
		b.release()
	}
	return n, nil
}

// pull asks the host for the next delivery and takes it in.
func (b *directBody) pull() {
	if b.ctx.Err() != nil {
		b.err = b.ended()
		return
	}
	// The host reads the body as it meets the pull among the records. An earlier host waited
	// there for the client until Go had work due (then it answered deliverWait), holding up
	// the records behind the pull: response chunks the handler wrote before this read go first
	// (the pump that hands them over is runnable now), so a client that waits for the answer
	// to what it sent so far gets it before the host waits for more.
	runtime.Gosched()
	r := newRecord(recordPull, b.id, 4)
	push(binary.LittleEndian.AppendUint32(r, pullSize), false)
	select {
	case <-b.ready:
	case <-b.ctx.Done():
		// The request ended (or the client left) before the host answered.
		if b.delivered {
			b.delivered = false
			b.release()
		}
		b.err = b.ended()
		return
	}
	b.delivered = false
	switch b.kind {
	case deliverBytes:
		b.held = b.delivery
		return
	case deliverWait:
		// Nothing yet: Go's due work (a timer, say the handler's deadline) runs before the
		// next pull. Read pulls again while nothing is held.
	case deliverEnd:
		b.err = io.EOF
		if trailers, rest, ok := parseFields(b.delivery); ok && len(rest) == 0 {
			// As net/http's server at EOF: every trailer the client sent, declared or not.
			for name, values := range trailers {
				if b.req.Trailer == nil {
					b.req.Trailer = http.Header{}
				}
				b.req.Trailer[name] = append(b.req.Trailer[name], values...)
			}
		} else {
			b.err = errors.New("httpserve: malformed request trailers from the host")
		}
	default:
		// The host says what failed ("reading the request body: …"): the client went away.
		b.err = errors.New("httpserve: " + string(b.delivery))
		b.cancel()
	}
	b.release()
}

// ended is the read error once the request has ended (or the client left) before the body did.
func (b *directBody) ended() error {
	return errors.Join(errors.New("httpserve: reading the request body"), context.Cause(b.ctx))
}

// release gives the delivery's buffer back for the host's next head or delivery.
func (b *directBody) release() {
	if direct.in == nil && cap(b.delivery) > 0 {
		direct.in = b.delivery[:cap(b.delivery)]
	}
	b.delivery, b.held = nil, nil
}

// Close makes later reads fail, as net/http's server does; what the client still sends is
// dropped by the host with the request.
func (b *directBody) Close() error {
	b.closed = true
	b.release()
	return nil
}
