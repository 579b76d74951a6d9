//go:build js && wasm && go1.24

package httpserve

import (
	"context"
	"time"
)

// requestContext is a direct-path request's context: it ends when the handler returns or the
// client goes away, as net/http's server does with its request contexts. It does what
// context.WithCancel(context.Background()) would for a fraction of the cost on wasm (that
// was a twentieth of a small request's time in the guest: a mutex, an atomic.Value and
// parent bookkeeping per request), because a GOOS=js program runs every goroutine on one
// thread, switching only where one blocks: plain fields need no locking.
//
// It implements AfterFunc, so contexts derived from it with the context package (WithCancel,
// WithTimeout, AfterFunc) are cancelled with it without a goroutine each, as they are under
// a *cancelCtx.
type requestContext struct {
	// done is made on first use (most handlers never wait on their context).
	done chan struct{}
	err  error
	// after holds AfterFunc's functions not yet stopped or run.
	after []*afterFunc
}

type afterFunc struct{ f func() }

var _ context.Context = (*requestContext)(nil)

func (c *requestContext) Deadline() (time.Time, bool) { return time.Time{}, false }

func (c *requestContext) Done() <-chan struct{} {
	if c.done == nil {
		c.done = make(chan struct{})
		if c.err != nil {
			close(c.done)
		}
	}
	return c.done
}

func (c *requestContext) Err() error { return c.err }

func (c *requestContext) Value(any) any { return nil }

// cancel ends the context (again: nothing), as a context.CancelFunc.
func (c *requestContext) cancel() {
	if c.err != nil {
		return
	}
	c.err = context.Canceled
	if c.done != nil {
		close(c.done)
	}
	after := c.after
	c.after = nil
	for _, a := range after {
		// Each in its own goroutine, as context.AfterFunc runs them.
		go a.f()
	}
}

// AfterFunc arranges for f to run (in its own goroutine) once the context ends, at once if it
// has; stop keeps it from running and says whether it did (see context.AfterFunc).
func (c *requestContext) AfterFunc(f func()) (stop func() bool) {
	a := &afterFunc{f: f}
	if c.err != nil {
		go f()
		return func() bool { return false }
	}
	c.after = append(c.after, a)
	return func() bool {
		for i, b := range c.after {
			if b == a {
				c.after = append(c.after[:i], c.after[i+1:]...)
				return true
			}
		}
		return false
	}
}

func (c *requestContext) String() string { return "httpserve.requestContext" }
