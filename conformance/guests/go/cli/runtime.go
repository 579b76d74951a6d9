package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// clocks: monotonic and wall clocks move forward; Sleep sleeps at least as long as asked.
func clocks(args []string) int {
	start := time.Now()
	wall := time.Now().Unix()
	fmt.Println("wall clock after 2020:", wall > 1577836800)
	time.Sleep(50 * time.Millisecond)
	el := time.Since(start)
	fmt.Println("slept at least 50ms:", el >= 50*time.Millisecond)
	fmt.Println("slept less than 5s:", el < 5*time.Second)
	t1 := time.Now()
	t2 := time.Now()
	fmt.Println("monotonic:", !t2.Before(t1))
	return 0
}

// timers: timers, tickers, AfterFunc, Stop/Reset, context deadlines and select with timeouts.
func timers(args []string) int {
	tick := time.NewTicker(10 * time.Millisecond)
	n := 0
	for range tick.C {
		n++
		if n == 3 {
			break
		}
	}
	tick.Stop()
	fmt.Println("ticks:", n)

	fired := make(chan string, 1)
	time.AfterFunc(20*time.Millisecond, func() { fired <- "afterfunc fired" })
	fmt.Println(<-fired)

	stopped := time.NewTimer(time.Hour)
	fmt.Println("stop before firing:", stopped.Stop())

	r := time.NewTimer(time.Hour)
	r.Reset(5 * time.Millisecond)
	<-r.C
	fmt.Println("reset timer fired")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	<-ctx.Done()
	fmt.Println("context:", ctx.Err())

	select {
	case <-make(chan int):
		fmt.Println("impossible")
	case <-time.After(10 * time.Millisecond):
		fmt.Println("select timed out")
	}
	return 0
}

// timezone: time.Local comes from the host's zone (TZ).
func timezone(args []string) int {
	name, offset := time.Now().Zone()
	fmt.Println("zone:", name, offset)
	t := time.Date(2024, 1, 15, 12, 0, 0, 0, time.UTC)
	fmt.Println("local of a fixed instant has the same offset:", t.In(time.Local).Format("15:04 -0700") != "")
	return 0
}

// goroutines: WaitGroup, channels, select, mutexes, atomics.
func goroutines(args []string) int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	sum := 0
	var hits atomic.Int64
	for i := 1; i <= 100; i++ {
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			mu.Lock()
			sum += n
			mu.Unlock()
			hits.Add(1)
		}(i)
	}
	wg.Wait()
	fmt.Println("sum:", sum, "hits:", hits.Load())

	jobs := make(chan int)
	results := make(chan int)
	for w := 0; w < 4; w++ {
		go func() {
			for j := range jobs {
				results <- j * j
			}
		}()
	}
	go func() {
		for i := 0; i < 50; i++ {
			jobs <- i
		}
		close(jobs)
	}()
	total := 0
	for i := 0; i < 50; i++ {
		total += <-results
	}
	fmt.Println("sum of squares:", total)

	a, b := make(chan string), make(chan string)
	go func() { time.Sleep(5 * time.Millisecond); a <- "a" }()
	go func() { time.Sleep(15 * time.Millisecond); b <- "b" }()
	got := ""
	for i := 0; i < 2; i++ {
		select {
		case s := <-a:
			got += s
		case s := <-b:
			got += s
		}
	}
	fmt.Println("select order:", got)

	var once sync.Once
	for i := 0; i < 3; i++ {
		once.Do(func() { fmt.Println("once") })
	}
	cond := sync.NewCond(&mu)
	ready := false
	go func() { mu.Lock(); ready = true; cond.Broadcast(); mu.Unlock() }()
	mu.Lock()
	for !ready {
		cond.Wait()
	}
	mu.Unlock()
	fmt.Println("cond signalled")
	return 0
}

// randomness: crypto/rand fills buffers; two reads differ.
func randomness(args []string) int {
	a := make([]byte, 64)
	b := make([]byte, 100000)
	if _, err := rand.Read(a); err != nil {
		fmt.Println("rand error:", err)
		return 1
	}
	rand.Read(b)
	zeros := 0
	for _, x := range b {
		if x == 0 {
			zeros++
		}
	}
	fmt.Println("read 64 and 100000 bytes")
	fmt.Println("not all zero:", zeros < len(b)/50)
	c := make([]byte, 64)
	rand.Read(c)
	fmt.Println("two reads differ:", string(a) != string(c))
	fmt.Println("rand.Int below 1000:", func() bool { n, _ := rand.Int(rand.Reader, bigThousand); return n.Int64() < 1000 }())
	return 0
}
