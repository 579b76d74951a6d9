// hello: the smallest Go program, built for the browser (GOOS=js) and for WASI (GOOS=wasip1).
// It is the start-up benchmark's guest and the first thing `inspect` is shown.
package main

import "fmt"

func main() {
	fmt.Println("Hello from Go!")
}
