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

// recursion goes a million calls deep (Go's stacks grow on demand).
func recursion(args []string) int {
	fmt.Println("depth:", depth(1_000_000))
	return 0
}
