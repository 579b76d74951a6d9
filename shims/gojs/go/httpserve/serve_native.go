//go:build !(js && wasm)

package httpserve

import (
	"fmt"
	"net"
	"net/http"
	"os"
)

// Serve serves handler (http.DefaultServeMux when nil) with net/http on $LISTEN (default
// 127.0.0.1:8080), so a handler program also builds natively: the same code, as the ceiling
// the WASI builds are measured against. It prints the address it listens on as the WASI hosts
// do ("Serving HTTP on http://ADDR/"), which makes LISTEN=127.0.0.1:0 usable.
func Serve(handler http.Handler) {
	if handler == nil {
		handler = http.DefaultServeMux
	}
	addr := os.Getenv("LISTEN")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "httpserve:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "Serving HTTP on http://%s/\n", l.Addr())
	if err := http.Serve(l, handler); err != nil {
		fmt.Fprintln(os.Stderr, "httpserve:", err)
		os.Exit(1)
	}
}
