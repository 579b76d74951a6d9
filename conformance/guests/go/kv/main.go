// A Go HTTP handler using the host's key-value store through wasm-server-bindgen/gojs/kv:
// conformance/cases/go-http.toml (go-http-kv) checks that node's in-memory stores and
// wasi:keyvalue on the WASI hosts answer alike.
//
//	/set?k=K&v=V      stores V under K
//	/get?k=K          the value (404 when absent)
//	/exists?k=K       true or false
//	/keys?prefix=P    the keys that start with P, one per line, sorted
//	/incr?k=K&by=N    atomic increment, the new value
//	/delete?k=K       removes K
package main

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"wasm-server-bindgen/gojs/httpserve"
	"wasm-server-bindgen/gojs/kv"
)

func main() {
	store, err := kv.Open("cases")
	httpserve.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		q := r.URL.Query()
		k := q.Get("k")
		fail := func(err error) { http.Error(w, err.Error(), http.StatusInternalServerError) }
		switch r.URL.Path {
		case "/set":
			if err := store.Set(k, []byte(q.Get("v"))); err != nil {
				fail(err)
				return
			}
			fmt.Fprintf(w, "set %s\n", k)
		case "/get":
			v, ok, err := store.Get(k)
			switch {
			case err != nil:
				fail(err)
			case !ok:
				http.Error(w, "absent: "+k, http.StatusNotFound)
			default:
				w.Write(v)
			}
		case "/exists":
			ok, err := store.Exists(k)
			if err != nil {
				fail(err)
				return
			}
			fmt.Fprintf(w, "%v\n", ok)
		case "/keys":
			keys, err := store.Keys(q.Get("prefix"))
			if err != nil {
				fail(err)
				return
			}
			fmt.Fprintf(w, "%d keys\n%s\n", len(keys), strings.Join(keys, "\n"))
		case "/incr":
			by, _ := strconv.ParseInt(q.Get("by"), 10, 64)
			n, err := store.Increment(k, by)
			if err != nil {
				fail(err)
				return
			}
			fmt.Fprintf(w, "%s = %d\n", k, n)
		case "/delete":
			if err := store.Delete(k); err != nil {
				fail(err)
				return
			}
			fmt.Fprintf(w, "deleted %s\n", k)
		default:
			http.NotFound(w, r)
		}
	}))
}
