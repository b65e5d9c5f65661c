// bench/peers/go: weft's scheduler workloads written for Go.
//
//	go-peer WORKLOAD REPS A [B]
//
// The worker count is GOMAXPROCS, from the environment. WORKLOAD and its
// sizes A, B:
//
//	spawn_many    A goroutines (empty) started from one goroutine, all waited for
//	yield_many    A goroutines each yielding (runtime.Gosched) B times
//	ping_pong     A pairs of goroutines each doing B round trips
//	chained_spawn a chain of A goroutines (each starts the next), B times
//	timers        A goroutines each sleeping B ms: wall time
//	spawn_await   A times: start one empty goroutine and wait for it
//	yield         A yields of a single goroutine
//
// One warm-up run (with A/10) and then REPS runs, each timed around the
// workload alone. Prints one line per timed run: nanoseconds per operation
// (per goroutine, yield, round trip, chained start, sleeping goroutine,
// start+wait, yield).
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

func usage() {
	fmt.Fprintln(os.Stderr, "usage: GOMAXPROCS=N go-peer WORKLOAD REPS A [B]")
	os.Exit(2)
}

// Each workload returns the elapsed time and the operations done.

func spawnMany(n int) (time.Duration, int) {
	var wg sync.WaitGroup
	t0 := time.Now()
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() { wg.Done() }()
	}
	wg.Wait()
	return time.Since(t0), n
}

func yieldMany(tasks, yields int) (time.Duration, int) {
	var wg sync.WaitGroup
	t0 := time.Now()
	wg.Add(tasks)
	for i := 0; i < tasks; i++ {
		go func() {
			for j := 0; j < yields; j++ {
				runtime.Gosched()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	return time.Since(t0), tasks * yields
}

// One pair: a pinger and a ponger over two unbuffered channels.
func pingPong(pairs, trips int) (time.Duration, int) {
	var wg sync.WaitGroup
	t0 := time.Now()
	wg.Add(pairs)
	for i := 0; i < pairs; i++ {
		go func() {
			ping := make(chan struct{})
			pong := make(chan struct{})
			go func() {
				for range ping {
					pong <- struct{}{}
				}
			}()
			for j := 0; j < trips; j++ {
				ping <- struct{}{}
				<-pong
			}
			close(ping)
			wg.Done()
		}()
	}
	wg.Wait()
	return time.Since(t0), pairs * trips
}

// chain starts the next link; the last one signals done.
func chain(left int, done chan<- struct{}) {
	if left == 0 {
		done <- struct{}{}
		return
	}
	go chain(left-1, done)
}

func chainedSpawn(length, times int) (time.Duration, int) {
	done := make(chan struct{})
	t0 := time.Now()
	for i := 0; i < times; i++ {
		chain(length, done) // starts the first of length goroutines
		<-done
	}
	return time.Since(t0), length * times
}

func timers(tasks, ms int) (time.Duration, int) {
	var wg sync.WaitGroup
	d := time.Duration(ms) * time.Millisecond
	t0 := time.Now()
	wg.Add(tasks)
	for i := 0; i < tasks; i++ {
		go func() {
			time.Sleep(d)
			wg.Done()
		}()
	}
	wg.Wait()
	return time.Since(t0), tasks
}

func spawnAwait(n int) (time.Duration, int) {
	done := make(chan struct{})
	t0 := time.Now()
	for i := 0; i < n; i++ {
		go func() { done <- struct{}{} }()
		<-done
	}
	return time.Since(t0), n
}

func yieldAlone(n int) (time.Duration, int) {
	t0 := time.Now()
	for i := 0; i < n; i++ {
		runtime.Gosched()
	}
	return time.Since(t0), n
}

func main() {
	if len(os.Args) < 4 {
		usage()
	}
	num := func(s string) int {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 {
			usage()
		}
		return v
	}
	name := os.Args[1]
	reps := num(os.Args[2])
	a := num(os.Args[3])
	b := 1
	if len(os.Args) > 4 {
		b = num(os.Args[4])
	}
	work := map[string]func(a, b int) (time.Duration, int){
		"spawn_many":    func(a, b int) (time.Duration, int) { return spawnMany(a) },
		"yield_many":    yieldMany,
		"ping_pong":     pingPong,
		"chained_spawn": chainedSpawn,
		"timers":        timers,
		"spawn_await":   func(a, b int) (time.Duration, int) { return spawnAwait(a) },
		"yield":         func(a, b int) (time.Duration, int) { return yieldAlone(a) },
	}[name]
	if work == nil {
		usage()
	}
	for rep := 0; rep <= reps; rep++ {
		// The first run warms up (thread start, heap growth) with a tenth of
		// A and is not printed.
		aNow := a
		if rep == 0 {
			aNow = a / 10
			if aNow < 1 {
				aNow = 1
			}
		}
		d, ops := work(aNow, b)
		if rep > 0 {
			fmt.Printf("%.3f\n", float64(d.Nanoseconds())/float64(ops))
		}
	}
}
