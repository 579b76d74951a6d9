//go:build js && wasm && go1.24

package httpserve

// The direct path's shortcuts against the standard library they stand in for: each must give
// exactly what net/url, net/textproto and context give, wherever it applies. Run under node
// (GOOS=js) by shims/gojs/tests/httpserve_go.rs.

import (
	"context"
	"net/http"
	"net/textproto"
	"net/url"
	"reflect"
	"testing"
	"time"
)

func TestSimpleURLIsURLParse(t *testing.T) {
	schemes := []string{"http://", "https://", "HTTP://", "ftp://", ""}
	hosts := []string{"localhost", "127.0.0.1:8080", "example.com:", "Example.COM", "[::1]:80", "a_b", "", "ex%41mple", "h:80:90", "h:8x", "-h."}
	paths := []string{"", "/", "/hello", "//x", "/a/../b", "/%41", "/a%2Fb", "/a b", "/é", "/a;b=c", "/x:y@z", "/~user",
		"*", "/a#frag", "/!", "/(x)", "/a+b", "/$&,", "/a\tb", "/[x]", "/a'b", "/a*b", "/a\x7fb"}
	queries := []string{"", "?", "?a=1", "?a=1&b=2", "?q=%20", "?x#y", "?a b", "?é", "?;", "?a=?b", "??", "?%zz", "?a\x00"}
	fast := 0
	for _, s := range schemes {
		for _, h := range hosts {
			for _, p := range paths {
				for _, q := range queries {
					raw := s + h + p + q
					host, path, rawPath, rawQuery, requestURI, ok := simpleURL(raw)
					if !ok {
						continue
					}
					fast++
					u, err := url.Parse(raw)
					if err != nil {
						t.Errorf("simpleURL(%q) took it, url.Parse refuses it: %v", raw, err)
						continue
					}
					got := [5]string{host, path, rawPath, rawQuery, requestURI}
					want := [5]string{u.Host, u.Path, u.RawPath, u.RawQuery, u.RequestURI()}
					if got != want {
						t.Errorf("simpleURL(%q) = %q, url.Parse gives %q", raw, got, want)
					}
				}
			}
		}
	}
	// The shortcut must serve the usual requests, not only be right when it declines.
	for _, raw := range []string{"http://127.0.0.1:8080/hello", "https://example.com/json?a=1&b=2", "http://localhost/"} {
		if _, _, _, _, _, ok := simpleURL(raw); !ok {
			t.Errorf("simpleURL(%q) declines a plain URL", raw)
		}
	}
	t.Logf("%d generated URLs took the shortcut", fast)
	if fast < 100 {
		t.Errorf("only %d generated URLs took the shortcut", fast)
	}
}

func TestCanonicalizeHeaderKeyIsTextproto(t *testing.T) {
	for _, name := range []string{"host", "content-type", "Content-Type", "X-FOO-bar", "x--y", "-a", "a-", "www-authenticate",
		"etag", "weird name", "a_b", "é", "", "x.y", "1abc", "x-forwarded-for", "a:b", "a\tb", "ÿ-x", "!#$%&'*+-.^_`|~"} {
		b := []byte(name)
		canonicalizeHeaderKey(b)
		if got, want := string(b), textproto.CanonicalMIMEHeaderKey(name); got != want {
			t.Errorf("canonicalizeHeaderKey(%q) = %q, textproto gives %q", name, got, want)
		}
	}
}

func TestHeaderValueIsHeaderGet(t *testing.T) {
	headers := []http.Header{nil, {}, {"Content-Length": {"12"}}, {"Content-Length": {"", "3"}, "Host": nil}, {"Transfer-Encoding": {"chunked", "gzip"}, "Host": {}}}
	for _, h := range headers {
		for _, name := range []string{"Content-Length", "Transfer-Encoding", "Content-Encoding", "Host", "X-Forwarded-For"} {
			if got, want := headerValue(h, name), h.Get(name); got != want {
				t.Errorf("headerValue(%v, %q) = %q, Get gives %q", h, name, got, want)
			}
		}
	}
}

func TestCloneHeaderIsHeaderClone(t *testing.T) {
	headers := []http.Header{
		nil, {}, {"A": {"1"}}, {"A": {"1", "2"}, "B": nil, "C": {}, "D": {"x"}},
		{"Set-Cookie": {"a=1", "b=2", "c=3"}, "X": {"y"}, "Trailer:Z": {"z"}, "E": {"1", "2", "3", "4", "5"}},
	}
	for _, h := range headers {
		got := cloneHeader(h)
		if want := h.Clone(); !reflect.DeepEqual(got, want) || (got == nil) != (want == nil) {
			t.Fatalf("cloneHeader(%#v) = %#v, Clone gives %#v", h, got, want)
		}
		// The clone shares no storage with h, nor between its own lists: every value is
		// changed first, then every list appended to.
		for name := range got {
			for i := range got[name] {
				got[name][i] = "changed"
			}
		}
		for name := range got {
			got[name] = append(got[name], "appended")
		}
		for name, values := range h {
			for i, v := range values {
				if v == "changed" {
					t.Fatalf("changing the clone changed %q's value %d in the original", name, i)
				}
			}
			if want := len(values) + 1; values != nil && len(got[name]) != want {
				t.Fatalf("the clone's %q has %d values after one append, want %d", name, len(got[name]), want)
			}
		}
		for name, values := range got {
			for i, v := range values[:len(values)-1] {
				if v != "changed" {
					t.Fatalf("appending to a list of the clone overwrote %q's value %d: %q", name, i, v)
				}
			}
		}
	}
}

func TestRequestContextEndsAsACancelCtx(t *testing.T) {
	rc := &requestContext{}
	child, stopChild := context.WithCancel(rc)
	defer stopChild()
	timed, stopTimed := context.WithTimeout(rc, time.Hour)
	defer stopTimed()
	ran := make(chan struct{})
	context.AfterFunc(rc, func() { close(ran) })
	stopped := context.AfterFunc(rc, func() { t.Error("a stopped AfterFunc ran") })
	if !stopped() {
		t.Error("stopping an AfterFunc before the end did not stop it")
	}
	if rc.Err() != nil || child.Err() != nil {
		t.Fatal("ended before cancel")
	}
	rc.cancel()
	rc.cancel() // again: nothing
	for name, c := range map[string]context.Context{"request": rc, "WithCancel child": child, "WithTimeout child": timed} {
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: Done not closed after cancel", name)
		}
		if c.Err() != context.Canceled {
			t.Errorf("%s: Err() = %v, want context.Canceled", name, c.Err())
		}
	}
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("AfterFunc did not run after cancel")
	}
	if context.Cause(rc) != context.Canceled {
		t.Errorf("Cause = %v", context.Cause(rc))
	}
	late := make(chan struct{})
	if context.AfterFunc(rc, func() { close(late) })() {
		t.Error("an AfterFunc registered after the end was stopped")
	}
	<-late
}
