// The HTTP conformance guest: one handler per capability, served through
// wasm-server-bindgen/gojs/httpserve. Every response is deterministic so node and the WASI
// hosts can be compared byte for byte.
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"wasm-server-bindgen/gojs/httpserve"
)

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from Go\n")
	})
	mux.HandleFunc("/echo", echo)
	// The request's Host and target as a server request has them (no scheme or host in URL).
	mux.HandleFunc("/host", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "host=%s uri=%s url=%s\n", r.Host, r.RequestURI, r.URL)
	})
	mux.HandleFunc("/status/", func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
		if err != nil {
			http.Error(w, "bad status", http.StatusBadRequest)
			return
		}
		w.Header().Set("X-Status", strconv.Itoa(code))
		// Dropped on a 304 (no body to describe), as net/http's server drops it.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(code)
		if code != http.StatusNoContent && code != http.StatusNotModified {
			fmt.Fprintf(w, "status %d\n", code)
		}
	})
	mux.HandleFunc("/headers", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("X-Multi", "one")
		w.Header().Add("X-Multi", "two")
		w.Header().Add("Set-Cookie", "a=1")
		w.Header().Add("Set-Cookie", "b=2")
		names := make([]string, 0, len(r.Header))
		for k := range r.Header {
			if strings.HasPrefix(k, "X-") {
				names = append(names, k)
			}
		}
		sort.Strings(names)
		for _, k := range names {
			fmt.Fprintf(w, "%s: %s\n", k, strings.Join(r.Header.Values(k), ", "))
		}
	})
	// /bytes?n=N streams N deterministic bytes in 64 KiB writes.
	mux.HandleFunc("/bytes", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		w.Header().Set("Content-Type", "application/octet-stream")
		buf := make([]byte, 64<<10)
		for i := range buf {
			buf[i] = byte(i % 251)
		}
		for n > 0 {
			k := min(n, len(buf))
			if _, err := w.Write(buf[:k]); err != nil {
				return
			}
			n -= k
		}
	})
	// An encoded body with no Content-Type: not sniffed (gzip bytes say nothing of the type).
	mux.HandleFunc("/encoded", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, "<html><body>compressed</body></html>\n")
		zw.Close()
	})
	// Header fields net/http's server would not send as given: a line break in a value (sent
	// as a space) and a name with a space (dropped).
	mux.HandleFunc("/bad-headers", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["X-Folded"] = []string{"one\r\ntwo"}
		w.Header()["X-Bad Name"] = []string{"dropped"}
		w.Header().Set("X-Ok", "kept")
		io.WriteString(w, "answered\n")
	})
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"message": "hello", "path": r.URL.Path, "query": r.URL.Query()})
	})
	mux.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) {
		panic("handler panic on purpose")
	})
	// Never answers in time: the host's request timeout must (a goroutine blocked with no
	// timer at all would instead be reported at once by the WASI shim as a stuck handler).
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Hour):
		}
	})
	mux.HandleFunc("/sleep", func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
		fmt.Fprintf(w, "slept %d ms\n", ms)
	})
	mux.HandleFunc("/fetch", fetch)
	mux.HandleFunc("/env", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "GREETING=%s\n", os.Getenv("GREETING"))
	})
	mux.HandleFunc("/trailers", trailers)
	mux.HandleFunc("/stream", stream)
	mux.HandleFunc("/body-deadline", bodyDeadline)
	mux.HandleFunc("/write-stall", writeStall)
	mux.HandleFunc("/duplex", duplex)
	httpserve.Serve(mux)
}

// trailers reads the body, reports the request's declared trailer names and the trailers that
// came after the body, then answers with a body whose length and SHA-256 follow it as declared
// trailers. ?pad=N adds N bytes to the answer (past httpserve's 4 KiB buffer, it streams);
// ?quiet=1 answers with trailers only, no body.
func trailers(w http.ResponseWriter, r *http.Request) {
	declared := make([]string, 0, len(r.Trailer))
	for k := range r.Trailer {
		declared = append(declared, k)
	}
	sort.Strings(declared)
	h := sha256.New()
	n, err := io.Copy(h, r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Trailer", "X-Body-Length, X-Body-Sha256")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if r.URL.Query().Get("quiet") == "" {
		fmt.Fprintf(w, "declared=%s body=%d\n", strings.Join(declared, ","), n)
		names := make([]string, 0, len(r.Trailer))
		for k := range r.Trailer {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			fmt.Fprintf(w, "trailer %s: %s\n", k, strings.Join(r.Trailer.Values(k), ", "))
		}
		pad, _ := strconv.Atoi(r.URL.Query().Get("pad"))
		w.Write([]byte(strings.Repeat("x", pad)))
	}
	w.Header().Set("X-Body-Length", strconv.FormatInt(n, 10))
	w.Header().Set("X-Body-Sha256", hex.EncodeToString(h.Sum(nil)))
}

// echo reports the request line and streams the body back with its length and SHA-256 in
// trailing lines, reading it in small pieces so large bodies never sit whole in memory.
func echo(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "method=%s path=%s query=%s\n", r.Method, r.URL.Path, r.URL.RawQuery)
	h := sha256.New()
	n, err := io.Copy(h, r.Body)
	if err != nil {
		fmt.Fprintf(w, "body error: %v\n", err)
		return
	}
	fmt.Fprintf(w, "body=%d sha256=%s\n", n, hex.EncodeToString(h.Sum(nil)))
}

// fetch calls ?url= with the request's method and body and reports what came back; with
// ?timeout-ms=N the call has that deadline (504 when it passes before the answer's head), and
// with ?upload-bytes=N its body is N generated bytes instead of the request's.
func fetch(w http.ResponseWriter, r *http.Request) {
	target := r.URL.Query().Get("url")
	ctx := r.Context()
	if ms, err := strconv.Atoi(r.URL.Query().Get("timeout-ms")); err == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(ms)*time.Millisecond)
		defer cancel()
	}
	var upload io.Reader = r.Body
	if n, err := strconv.Atoi(r.URL.Query().Get("upload-bytes")); err == nil {
		upload = bytes.NewReader(bytes.Repeat([]byte("u"), n))
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, target, upload)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req.Header.Set("X-Forwarded-By", "go-guest")
	resp, err := http.DefaultClient.Do(req)
	if errors.Is(err, context.DeadlineExceeded) {
		http.Error(w, "fetch: the deadline passed before the upstream answered", http.StatusGatewayTimeout)
		return
	}
	if err != nil {
		http.Error(w, "fetch failed: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		http.Error(w, "reading upstream body: "+err.Error(), http.StatusBadGateway)
		return
	}
	fmt.Fprintf(w, "upstream status=%d content-type=%s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
}

// stream writes 64 KiB every few milliseconds until the request's context ends (the client
// went away), then says so on stderr: the one place a handler can report it.
func stream(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/octet-stream")
	chunk := make([]byte, 64<<10)
	for written := 0; written < 1<<30; written += len(chunk) {
		select {
		case <-r.Context().Done():
			fmt.Fprintf(os.Stderr, "stream: the request context ended: %v\n", r.Context().Err())
			return
		case <-time.After(2 * time.Millisecond):
		}
		if _, err := w.Write(chunk); err != nil {
			// A write that failed because the client left: the context ends with it.
			select {
			case <-r.Context().Done():
				fmt.Fprintf(os.Stderr, "stream: the request context ended: %v\n", r.Context().Err())
			case <-time.After(5 * time.Second):
				fmt.Fprintf(os.Stderr, "stream: a write failed (%v) but the request context did not end\n", err)
			}
			return
		}
	}
	fmt.Fprintln(os.Stderr, "stream: 1 GiB written and the request context never ended")
}

// bodyDeadline reads the request body with a deadline (?ms=N, default 300): the answer says how
// many bytes came, or 408 when the body did not end in time. A client that stalls mid-upload
// gets the 408 after N ms, as from net/http: the handler's timer fires while its reader waits.
func bodyDeadline(w http.ResponseWriter, r *http.Request) {
	ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
	if err != nil {
		ms = 300
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Duration(ms)*time.Millisecond)
	defer cancel()
	type result struct {
		n   int64
		err error
	}
	read := make(chan result, 1)
	go func() {
		n, err := io.Copy(io.Discard, r.Body)
		read <- result{n, err}
	}()
	select {
	case got := <-read:
		if got.err != nil {
			http.Error(w, "reading the body: "+got.err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "read %d bytes\n", got.n)
	case <-ctx.Done():
		http.Error(w, "the body did not end in time: "+ctx.Err().Error(), http.StatusRequestTimeout)
	}
}

// writeStall writes ?bytes=N (default 32 MiB) in 64 KiB writes while a ticker counts every
// 10 ms, to a client that stops reading for a while after the head; the last line says whether
// a write waited for the client and whether the ticker ran meanwhile. In net/http, and under
// node, a client that does not read holds only the goroutine writing to it: timers and the
// rest of the program go on.
func writeStall(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.URL.Query().Get("bytes"))
	if err != nil {
		n = 32 << 20
	}
	var ticks atomic.Int64
	ticker := time.NewTicker(10 * time.Millisecond)
	defer ticker.Stop()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-ticker.C:
				ticks.Add(1)
			case <-stop:
				return
			}
		}
	}()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	chunk := bytes.Repeat([]byte("."), 64<<10)
	waited, ran := false, false
	for written := 0; written < n; written += len(chunk) {
		start, before := time.Now(), ticks.Load()
		if _, err := w.Write(chunk); err != nil {
			return
		}
		if time.Since(start) > 500*time.Millisecond {
			waited = true
			// Dozens of ticks in a write that took over half a second; a held Go sees one.
			ran = ran || ticks.Load()-before >= 10
		}
	}
	fmt.Fprintf(w, "\nthe client held a write: %v; timers ran meanwhile: %v\n", waited, ran)
}

// duplex writes ?bytes=N (default 32 MiB) of answer in 64 KiB writes while another goroutine
// reads the request body; the last line gives the body's length and SHA-256. A client that
// sends its whole body before it reads anything needs both at once: once the buffers between
// are full, the answer waits for the client, and the client for the body's reader. net/http's
// server allows it with EnableFullDuplex, node always.
func duplex(w http.ResponseWriter, r *http.Request) {
	if err := http.NewResponseController(w).EnableFullDuplex(); err != nil {
		http.Error(w, "full duplex: "+err.Error(), http.StatusInternalServerError)
		return
	}
	n, err := strconv.Atoi(r.URL.Query().Get("bytes"))
	if err != nil {
		n = 32 << 20
	}
	type read struct {
		n   int64
		sum string
		err error
	}
	done := make(chan read, 1)
	go func() {
		h := sha256.New()
		k, err := io.Copy(h, r.Body)
		done <- read{k, hex.EncodeToString(h.Sum(nil)), err}
	}()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	chunk := bytes.Repeat([]byte("."), 64<<10)
	for written := 0; written < n; written += len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
	got := <-done
	fmt.Fprintf(w, "\nbody=%d sha256=%s error=%v\n", got.n, got.sum, got.err)
}
