// A Workers-style Go program, built exactly as against github.com/syumai/workers.
package main

import (
	"fmt"
	"io"
	"net/http"

	"github.com/syumai/workers"
)

func main() {
	http.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from a Workers handler\n")
	})
	http.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Method", r.Method)
		fmt.Fprintf(w, "%s %s %q\n", r.Method, r.URL.RequestURI(), b)
	})
	workers.Serve(nil)
}
