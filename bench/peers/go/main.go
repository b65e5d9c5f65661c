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
//	fan_out       A rounds of a two-level tree: B goroutines each starting B
//	              goroutines (each yields once), each waited for by its
//	              parent (a WaitGroup per parent)
//	gather        A rounds of B goroutines (each yields once) waited for by
//	              one WaitGroup
//	lock          A goroutines each taking a sync.Mutex B times
//	queue         A producers each sending B items into one channel of
//	              capacity 1024, one consumer
//	to_thread     A round trips to a goroutine locked to its own OS thread
//	              (runtime.LockOSThread), one at a time: Go's nearest to
//	              handing a call to another thread
//	process_pool  A round trips to a pool of B child processes (this
//	              program run as "go-peer child"), a byte over pipes
//	memory        A goroutines asleep at once (each counts itself, then
//	              sleeps B ms): once all have counted, prints the
//	              nanoseconds that took and exits at once (no warm-up); the
//	              caller reads the peak RSS
//	echo          a TCP echo server on 127.0.0.1 (A is the port, 0: any);
//	              prints "listening on 127.0.0.1:PORT" and serves forever
//
// One warm-up run (with A/10) and then REPS runs, each timed around the
// workload alone. Prints one line per timed run: nanoseconds per operation
// (per goroutine, yield, round trip, chained start, sleeping goroutine,
// start+wait, yield).
package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
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

func fanOut(rounds, width int) (time.Duration, int) {
	t0 := time.Now()
	for r := 0; r < rounds; r++ {
		var nodes sync.WaitGroup
		nodes.Add(width)
		for i := 0; i < width; i++ {
			go func() {
				var leaves sync.WaitGroup
				leaves.Add(width)
				for j := 0; j < width; j++ {
					go func() {
						runtime.Gosched()
						leaves.Done()
					}()
				}
				leaves.Wait()
				nodes.Done()
			}()
		}
		nodes.Wait()
	}
	return time.Since(t0), rounds * (width + width*width)
}

func gather(rounds, width int) (time.Duration, int) {
	t0 := time.Now()
	for r := 0; r < rounds; r++ {
		var wg sync.WaitGroup
		wg.Add(width)
		for i := 0; i < width; i++ {
			go func() {
				runtime.Gosched()
				wg.Done()
			}()
		}
		wg.Wait()
	}
	return time.Since(t0), rounds * width
}

func lock(tasks, times int) (time.Duration, int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	n := 0
	t0 := time.Now()
	wg.Add(tasks)
	for i := 0; i < tasks; i++ {
		go func() {
			for j := 0; j < times; j++ {
				mu.Lock()
				n++
				mu.Unlock()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	d := time.Since(t0)
	if n != tasks*times {
		panic("lock: lost increments")
	}
	return d, tasks * times
}

func queue(producers, items int) (time.Duration, int) {
	t0 := time.Now()
	q := make(chan int, 1024)
	var wg sync.WaitGroup
	wg.Add(producers)
	for i := 0; i < producers; i++ {
		go func() {
			for j := 0; j < items; j++ {
				q <- j
			}
			wg.Done()
		}()
	}
	go func() {
		wg.Wait()
		close(q)
	}()
	got := 0
	for range q {
		got++
	}
	if got != producers*items {
		panic("queue: lost items")
	}
	return time.Since(t0), got
}

func toThread(n int) (time.Duration, int) {
	req := make(chan int)
	resp := make(chan int)
	go func() {
		runtime.LockOSThread()
		for v := range req {
			resp <- v + 1
		}
	}()
	t0 := time.Now()
	for i := 0; i < n; i++ {
		req <- i
		if <-resp != i+1 {
			panic("to_thread: wrong result")
		}
	}
	d := time.Since(t0)
	close(req)
	return d, n
}

type worker struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out io.Reader
}

func processPool(n, procs int) (time.Duration, int) {
	me, err := os.Executable()
	if err != nil {
		panic(err)
	}
	if procs < 1 {
		procs = 1
	}
	pool := make([]worker, procs)
	for k := range pool {
		c := exec.Command(me, "child")
		in, err1 := c.StdinPipe()
		out, err2 := c.StdoutPipe()
		if err1 != nil || err2 != nil {
			panic("process_pool: pipes")
		}
		if err := c.Start(); err != nil {
			panic(err)
		}
		pool[k] = worker{c, in, out}
	}
	b := []byte{0}
	t0 := time.Now()
	for i := 0; i < n; i++ {
		w := pool[i%procs]
		if _, err := w.in.Write([]byte{byte(i)}); err != nil {
			panic(err)
		}
		if _, err := io.ReadFull(w.out, b); err != nil || b[0] != byte(i)+1 {
			panic("process_pool: wrong reply")
		}
	}
	d := time.Since(t0)
	for _, w := range pool {
		w.in.Close()
		w.cmd.Wait()
	}
	return d, n
}

// child is the process pool's worker: a byte in, the byte plus one out.
func child() {
	in := bufio.NewReader(os.Stdin)
	for {
		c, err := in.ReadByte()
		if err != nil {
			os.Exit(0)
		}
		if _, err := os.Stdout.Write([]byte{c + 1}); err != nil {
			os.Exit(0)
		}
	}
}

func memory(n, ms int) {
	var started atomic.Int64
	d := time.Duration(ms) * time.Millisecond
	t0 := time.Now()
	for i := 0; i < n; i++ {
		go func() {
			started.Add(1)
			time.Sleep(d)
		}()
	}
	for started.Load() < int64(n) {
		time.Sleep(time.Millisecond)
	}
	fmt.Println(time.Since(t0).Nanoseconds())
	os.Exit(0)
}

func echoConn(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 16384)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		if _, err := c.Write(buf[:n]); err != nil {
			return
		}
	}
}

func echo(port int) {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		panic(err)
	}
	fmt.Printf("listening on 127.0.0.1:%d\n", l.Addr().(*net.TCPAddr).Port)
	for {
		c, err := l.Accept()
		if err != nil {
			panic(err)
		}
		go echoConn(c)
	}
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "child" {
		child()
	}
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
	switch name {
	case "memory":
		memory(a, b)
	case "echo":
		echo(a)
	}
	work := map[string]func(a, b int) (time.Duration, int){
		"spawn_many":    func(a, b int) (time.Duration, int) { return spawnMany(a) },
		"yield_many":    yieldMany,
		"ping_pong":     pingPong,
		"chained_spawn": chainedSpawn,
		"timers":        timers,
		"spawn_await":   func(a, b int) (time.Duration, int) { return spawnAwait(a) },
		"yield":         func(a, b int) (time.Duration, int) { return yieldAlone(a) },
		"fan_out":       fanOut,
		"gather":        gather,
		"lock":          lock,
		"queue":         queue,
		"to_thread":     func(a, b int) (time.Duration, int) { return toThread(a) },
		"process_pool":  processPool,
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
