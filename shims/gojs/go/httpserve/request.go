//go:build js && wasm

package httpserve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall/js"
)

// toRequest converts a WHATWG Request into a server-side *http.Request with ctx whose body
// streams from request.body.
func toRequest(ctx context.Context, r js.Value) (*http.Request, error) {
	header := http.Header{}
	forEachHeader(r.Get("headers"), func(name, value string) {
		header.Add(name, value)
	})
	req, err := newRequest(ctx, r.Get("method").String(), r.Get("url").String(), header)
	if err != nil {
		return nil, err
	}
	if body := r.Get("body"); body.Type() == js.TypeObject {
		setBodyFraming(req)
		req.Body = &streamReader{reader: body.Call("getReader"), jsReq: r}
	}
	return req, nil
}

// setBodyFraming sets what net/http's server sets for a request with a body, from its header:
// the declared length (-1 when it is chunked or of unknown length), the transfer encoding, and
// the declared trailer names, whose values arrive at the end of the body (the Trailer header
// itself leaves req.Header).
func setBodyFraming(req *http.Request) {
	req.ContentLength = -1
	if cl := headerValue(req.Header, "Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			req.ContentLength = n
		}
	}
	if strings.EqualFold(headerValue(req.Header, "Transfer-Encoding"), "chunked") {
		req.TransferEncoding = []string{"chunked"}
	}
	req.Trailer = declaredTrailers(req.Header)
}

// newRequest is a server-side *http.Request with ctx, as net/http's server makes it, for a
// request without a body (the caller sets one).
func newRequest(ctx context.Context, method, rawURL string, header http.Header) (*http.Request, error) {
	host, path, rawPath, rawQuery, requestURI, ok := simpleURL(rawURL)
	if !ok {
		u, err := url.Parse(rawURL)
		if err != nil {
			// Not the URL itself (the host part is the host's): what is wrong with it.
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			return nil, fmt.Errorf("malformed request URL: %w", err)
		}
		host, path, rawPath, rawQuery, requestURI = u.Host, u.Path, u.RawPath, u.RawQuery, u.RequestURI()
	}
	// Built here and copied once by WithContext (which stays on the stack): one allocation
	// instead of two.
	req := http.Request{
		Method:     method,
		URL:        &url.URL{Path: path, RawPath: rawPath, RawQuery: rawQuery},
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     header,
		Host:       host,
		RequestURI: requestURI,
		RemoteAddr: headerValue(header, "X-Forwarded-For"),
		Body:       http.NoBody,
	}
	if h := headerValue(header, "Host"); h != "" {
		req.Host = h
	}
	return req.WithContext(ctx), nil
}

// simpleURL splits the URLs hosts hand over for nearly every request, http(s)://host[:port]
// then a path with nothing url.Parse would unescape or escape and an optional query, exactly as
// url.Parse does but without its allocations and its cost on wasm (a request's URL parse was
// a tenth of the handler's time); ok is false for anything else, which goes to url.Parse.
func simpleURL(raw string) (host, path, rawPath, rawQuery, requestURI string, ok bool) {
	var rest string
	switch {
	case strings.HasPrefix(raw, "http://"):
		rest = raw[len("http://"):]
	case strings.HasPrefix(raw, "https://"):
		rest = raw[len("https://"):]
	default:
		return
	}
	slash := strings.IndexByte(rest, '/')
	if slash <= 0 || !simpleHost(rest[:slash]) {
		return
	}
	host, requestURI = rest[:slash], rest[slash:]
	path, rawQuery, hasQuery := strings.Cut(requestURI, "?")
	if hasQuery && rawQuery == "" {
		// url.Parse keeps the "?" (ForceQuery).
		return
	}
	for i := 0; i < len(path); i++ {
		if !plainPathByte(path[i]) {
			return
		}
	}
	for i := 0; i < len(rawQuery); i++ {
		// url.Parse keeps a query as it is, but refuses control bytes and cuts at '#'.
		if c := rawQuery[i]; c <= ' ' || c >= 0x7f || c == '#' {
			return
		}
	}
	return host, path, "", rawQuery, requestURI, true
}

// simpleHost: a name or IPv4 address, with an optional numeric port (what url.Parse takes
// as it is).
func simpleHost(h string) bool {
	name, port, _ := strings.Cut(h, ":")
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(isAlnum(c) || c == '.' || c == '-') {
			return false
		}
	}
	for i := 0; i < len(port); i++ {
		if c := port[i]; c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// plainPathByte: a byte url.Parse neither unescapes nor escapes in a path (so the path is
// the URL's as it is and RawPath is empty).
func plainPathByte(c byte) bool {
	return isAlnum(c) || strings.IndexByte("-_.~/$&+,:;=@", c) >= 0
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// declaredTrailers is what net/http's server puts in Request.Trailer before the body is read:
// the names the client declared in its Trailer header, with no values yet (and the header
// itself removed from Request.Header).
func declaredTrailers(header http.Header) http.Header {
	declared, ok := header["Trailer"]
	if !ok {
		return nil
	}
	header.Del("Trailer")
	trailer := http.Header{}
	for _, name := range trailerNames(declared) {
		trailer[name] = nil
	}
	return trailer
}

// trailerNames are the names listed in Trailer header values ("A, B"), canonical.
func trailerNames(values []string) []string {
	var names []string
	for _, list := range values {
		for _, name := range strings.Split(list, ",") {
			if name = strings.TrimSpace(name); name != "" {
				names = append(names, http.CanonicalHeaderKey(name))
			}
		}
	}
	return names
}

// forEachHeader calls f for every entry of a Headers object, in iteration order: WHATWG
// iteration combines a repeated field's values with ", ", except Set-Cookie's, which come one
// by one. The list comes over in one call, Array.from(h.entries()).join("\n"), instead of
// a next() and a pair per field: every JS value Go receives costs a finalizer, and those are
// the largest part of a request's cost in the guest. "\n" cannot occur in a field (Headers
// refuses it) and "," not in a name, so each line splits at its first comma.
func forEachHeader(h js.Value, f func(name, value string)) {
	lines := arrayClass.Call("from", h.Call("entries")).Call("join", "\n").String()
	for lines != "" {
		var line string
		line, lines, _ = strings.Cut(lines, "\n")
		if name, value, ok := strings.Cut(line, ","); ok {
			f(name, value)
		}
	}
}

// streamReader reads a ReadableStream through its default reader, one chunk at a time.
type streamReader struct {
	reader js.Value
	buf    []byte
	err    error
	// jsReq.trailers is a Headers object (not WHATWG) that the hosts of this package fill
	// once the body has ended; read at EOF into req.Trailer.
	jsReq js.Value
	req   *http.Request
}

func (s *streamReader) Read(p []byte) (int, error) {
	for len(s.buf) == 0 {
		if s.err != nil {
			return 0, s.err
		}
		res, err := await(s.reader.Call("read"))
		if err != nil {
			s.err = fmt.Errorf("reading request body: %w", err)
			continue
		}
		if res.Get("done").Truthy() {
			s.err = io.EOF
			s.readTrailers()
			continue
		}
		chunk := res.Get("value")
		s.buf = make([]byte, chunk.Length())
		js.CopyBytesToGo(s.buf, chunk)
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

// readTrailers fills req.Trailer as net/http's server does when the body reaches EOF: every
// trailer the client sent, declared or not.
func (s *streamReader) readTrailers() {
	trailers := s.jsReq.Get("trailers")
	if s.req == nil || trailers.Type() != js.TypeObject {
		return
	}
	forEachHeader(trailers, func(name, value string) {
		if s.req.Trailer == nil {
			s.req.Trailer = http.Header{}
		}
		name = http.CanonicalHeaderKey(name)
		s.req.Trailer[name] = append(s.req.Trailer[name], value)
	})
}

func (s *streamReader) Close() error {
	if s.err == nil {
		s.err = io.ErrClosedPipe
		s.reader.Call("cancel")
	}
	return nil
}
