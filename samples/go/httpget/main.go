// httpget: fetch a URL with net/http and print the status, selected headers and body size.
// Built with GOOS=js, Go's net/http client goes through the JS `fetch` API.
//
//	httpget URL
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: httpget URL")
		os.Exit(2)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Get(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "httpget:", err)
		os.Exit(1)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		fmt.Fprintln(os.Stderr, "httpget: reading body:", err)
		os.Exit(1)
	}
	fmt.Printf("%s\ncontent-type: %s\nbody: %d bytes\n", resp.Status, resp.Header.Get("Content-Type"), n)
}
