package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall/js"
)

// printArgs prints every argument quoted, and how many there are.
func printArgs(args []string) int {
	fmt.Printf("argc=%d\n", len(os.Args))
	for i, a := range os.Args[1:] {
		fmt.Printf("arg[%d]=%q\n", i+1, a)
	}
	return 0
}

// printEnv prints the whole environment, sorted, then looks up the names given as arguments.
func printEnv(args []string) int {
	env := os.Environ()
	sort.Strings(env)
	for _, kv := range env {
		fmt.Println(kv)
	}
	for _, name := range args {
		v, ok := os.LookupEnv(name)
		fmt.Printf("lookup %s: %q %v\n", name, v, ok)
	}
	return 0
}

// stdio writes to both streams, in an order each stream must keep.
func stdio(args []string) int {
	for i := 0; i < 5; i++ {
		fmt.Fprintf(os.Stdout, "out %d\n", i)
		fmt.Fprintf(os.Stderr, "err %d\n", i)
	}
	fmt.Fprint(os.Stdout, "no newline at the end")
	return 0
}

// bigOutput writes N MiB (default 10) of numbered lines to stdout.
func bigOutput(args []string) int {
	mib := 10
	if len(args) > 0 {
		fmt.Sscan(args[0], &mib)
	}
	w := bufio.NewWriterSize(os.Stdout, 64<<10)
	line := strings.Repeat("x", 54)
	total := 0
	for i := 0; total < mib<<20; i++ {
		n, _ := fmt.Fprintf(w, "%08d %s\n", i, line)
		total += n
	}
	w.Flush()
	fmt.Fprintf(os.Stderr, "wrote %d bytes\n", total)
	return 0
}

// echoStdin copies stdin to stdout upper-cased and counts the bytes.
func echoStdin(args []string) int {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Println("read error:", err)
		return 1
	}
	fmt.Print(strings.ToUpper(string(data)))
	fmt.Printf("\n%d bytes\n", len(data))
	return 0
}

func exitWith(args []string) int {
	code := 3
	if len(args) > 0 {
		fmt.Sscan(args[0], &code)
	}
	fmt.Println("exiting with", code)
	os.Exit(code)
	return 0
}

func panicNow(args []string) int {
	fmt.Println("about to panic")
	panic("something went wrong")
}

func nilDeref(args []string) int {
	var p *struct{ n int }
	fmt.Println("about to dereference nil")
	return p.n
}

func deadlock(args []string) int {
	fmt.Println("waiting forever")
	ch := make(chan int)
	return <-ch
}

// execCommand: os/exec is not available in the browser ABI; the error must be the same.
func execCommand(args []string) int {
	err := exec.Command("ls", "-l").Run()
	fmt.Println("exec error:", err)
	var ee *exec.Error
	fmt.Println("is *exec.Error:", errors.As(err, &ee))
	return 0
}

// jsMissing reaches for a browser API nothing provides outside a browser.
func jsMissing(args []string) int {
	doc := js.Global().Get("document")
	fmt.Println("document is undefined:", doc.IsUndefined())
	doc.Call("createElement", "div")
	return 0
}

func getwd(args []string) int {
	wd, err := os.Getwd()
	fmt.Println("getwd:", wd, err)
	return 0
}
