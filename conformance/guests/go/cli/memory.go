package main

import (
	"fmt"
	"math/big"
)

var bigThousand = big.NewInt(1000)

// alloc allocates and touches 1 GiB.
func alloc(args []string) int {
	const size = 1 << 30
	b := make([]byte, size)
	for i := 0; i < size; i += 4096 {
		b[i] = byte(i >> 12)
	}
	sum := 0
	for i := 0; i < size; i += 4096 {
		sum += int(b[i])
	}
	fmt.Println("allocated 1 GiB, checksum", sum)
	return 0
}

func depth(n int) int {
	if n == 0 {
		return 0
	}
	var pad [16]byte
	pad[n%16] = byte(n)
	return depth(n-1) + 1 + int(pad[0]&0)
}

// recursion goes N calls deep (default 10,000): Go's goroutine stacks, which live in linear
// memory, grow (and are copied) many times on the way down.
func recursion(args []string) int {
	n := 10_000
	if len(args) > 0 {
		fmt.Sscan(args[0], &n)
	}
	fmt.Println("depth:", depth(n))
	return 0
}
