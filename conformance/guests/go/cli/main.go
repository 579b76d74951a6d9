// cli: the Go command-line conformance guest. One binary, one subcommand per capability
// (os.Args[1]); each prints facts that must be identical on node and on a WASI host.
package main

import (
	"fmt"
	"os"
	"sort"
)

var commands = map[string]func(args []string) int{
	"hello":      hello,
	"args":       printArgs,
	"env":        printEnv,
	"stdio":      stdio,
	"bigout":     bigOutput,
	"stdin":      echoStdin,
	"exit":       exitWith,
	"panic":      panicNow,
	"nilderef":   nilDeref,
	"deadlock":   deadlock,
	"time":       clocks,
	"timers":     timers,
	"tz":         timezone,
	"goroutines": goroutines,
	"rand":       randomness,
	"files":      files,
	"dirs":       dirs,
	"links":      links,
	"fserrors":   fsErrors,
	"sandbox":    sandbox,
	"alloc":      alloc,
	"recursion":  recursion,
	"exec":       execCommand,
	"js-missing": jsMissing,
	"getwd":      getwd,
}

func main() {
	if len(os.Args) < 2 {
		names := make([]string, 0, len(commands))
		for n := range commands {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintln(os.Stderr, "usage: cli COMMAND [ARGS…]; commands:", names)
		os.Exit(64)
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "cli: unknown command %q\n", os.Args[1])
		os.Exit(64)
	}
	os.Exit(cmd(os.Args[2:]))
}

func hello(args []string) int {
	fmt.Println("Hello from Go!")
	return 0
}
