//! bench/peers/tokio: weft's scheduler workloads written for Tokio.
//!
//!   tokio-peer FLAVOR WORKERS WORKLOAD REPS A [B]
//!
//! FLAVOR is multi_thread (WORKERS worker threads) or current_thread
//! (WORKERS must be 1). WORKLOAD and its sizes A, B:
//!
//!   spawn_many    A tasks (empty) spawned from one task, all awaited with no
//!                 handle kept: a countdown, the last task notifies (as
//!                 Tokio's own rt_multi_threaded spawn_many)
//!   yield_many    A tasks each yielding B times
//!   ping_pong     A pairs of tasks each doing B round trips
//!   chained_spawn a chain of A spawns (each task spawns the next), B times
//!   timers        A tasks each sleeping B ms: wall time
//!   spawn_await   A times: spawn one empty task and await it
//!   yield         A yields of a single task
//!   fan_out       A rounds of a two-level tree: B tasks each spawning B
//!                 tasks (each yields once), every one awaited by its parent
//!   gather        A rounds of B tasks (each yields once) joined by a JoinSet
//!   lock          A tasks each taking a tokio::sync::Mutex B times
//!   queue         A producers each sending B items into one
//!                 mpsc::channel(1024), one consumer
//!   to_thread     A round trips through spawn_blocking (one at a time)
//!   process_pool  A round trips to a pool of B child processes (this
//!                 program run as `tokio-peer child`), a byte over pipes
//!   memory        A tasks asleep at once (each counts itself, then sleeps
//!                 B ms): once all have counted, prints the nanoseconds that
//!                 took and exits at once (no warm-up); the caller reads the
//!                 peak RSS
//!   echo          a TCP echo server on 127.0.0.1 (A is the port, 0: any);
//!                 prints "listening on 127.0.0.1:PORT" and serves forever
//!
//! One warm-up run (with A/10) and then REPS runs, each on the same runtime,
//! each timed inside the runtime around the workload alone. Prints one line
//! per timed run: nanoseconds per operation (per spawned task, yield, round
//! trip, chained spawn, sleeping task, spawn+await, yield). The runtime is
//! built and dropped outside the clock.
use std::process::exit;
use std::time::{Duration, Instant};

use std::io::{Read, Write};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::process::Command;
use tokio::runtime::{Builder, Runtime};
use tokio::sync::{mpsc, oneshot, Mutex, Notify};
use tokio::task::{yield_now, JoinSet};

fn usage() -> ! {
    eprintln!("usage: tokio-peer multi_thread|current_thread WORKERS WORKLOAD REPS A [B]");
    exit(2)
}

fn runtime(flavor: &str, workers: usize) -> Runtime {
    let mut b = match flavor {
        "multi_thread" => {
            let mut b = Builder::new_multi_thread();
            b.worker_threads(workers);
            b
        }
        "current_thread" if workers == 1 => Builder::new_current_thread(),
        _ => usage(),
    };
    // As #[tokio::main] does: the I/O and time drivers are on.
    b.enable_all().build().expect("tokio runtime")
}

/// Each workload returns (elapsed ns, operations done).
async fn spawn_many(n: u64) -> (u128, u64) {
    let left = Arc::new((AtomicU64::new(n), Notify::new()));
    let t0 = Instant::now();
    for _ in 0..n {
        let left = left.clone();
        tokio::spawn(async move {
            if left.0.fetch_sub(1, Ordering::AcqRel) == 1 {
                left.1.notify_one();
            }
        });
    }
    left.1.notified().await;
    (t0.elapsed().as_nanos(), n)
}

async fn yield_many(tasks: u64, yields: u64) -> (u128, u64) {
    let t0 = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            tokio::spawn(async move {
                for _ in 0..yields {
                    yield_now().await;
                }
            })
        })
        .collect();
    for h in handles {
        h.await.expect("task");
    }
    (t0.elapsed().as_nanos(), tasks * yields)
}

/// One pair: this task pings, a task it spawns pongs, over two channels of
/// capacity 1 (Tokio's task-to-task channel).
async fn ping_pong_pair(trips: u64) {
    let (ping_tx, mut ping_rx) = mpsc::channel::<()>(1);
    let (pong_tx, mut pong_rx) = mpsc::channel::<()>(1);
    let ponger = tokio::spawn(async move {
        while ping_rx.recv().await.is_some() {
            pong_tx.send(()).await.expect("pong");
        }
    });
    for _ in 0..trips {
        ping_tx.send(()).await.expect("ping");
        pong_rx.recv().await.expect("pong");
    }
    drop(ping_tx);
    ponger.await.expect("ponger");
}

async fn ping_pong(pairs: u64, trips: u64) -> (u128, u64) {
    let t0 = Instant::now();
    let handles: Vec<_> = (0..pairs)
        .map(|_| tokio::spawn(ping_pong_pair(trips)))
        .collect();
    for h in handles {
        h.await.expect("pair");
    }
    (t0.elapsed().as_nanos(), pairs * trips)
}

/// Spawns the next link of the chain; the last one signals `done`.
fn chain(left: u64, done: oneshot::Sender<()>) {
    if left == 0 {
        done.send(()).expect("done");
    } else {
        tokio::spawn(async move { chain(left - 1, done) });
    }
}

async fn chained_spawn(len: u64, times: u64) -> (u128, u64) {
    let t0 = Instant::now();
    for _ in 0..times {
        let (tx, rx) = oneshot::channel();
        chain(len, tx);
        rx.await.expect("chain");
    }
    (t0.elapsed().as_nanos(), len * times)
}

/// Waited for as spawn_many waits: no handle per task, a countdown whose
/// last sleeper notifies.
async fn timers(tasks: u64, ms: u64) -> (u128, u64) {
    let left = Arc::new((AtomicU64::new(tasks), Notify::new()));
    let t0 = Instant::now();
    for _ in 0..tasks {
        let left = left.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            if left.0.fetch_sub(1, Ordering::AcqRel) == 1 {
                left.1.notify_one();
            }
        });
    }
    left.1.notified().await;
    (t0.elapsed().as_nanos(), tasks)
}

async fn spawn_await(n: u64) -> (u128, u64) {
    let t0 = Instant::now();
    for _ in 0..n {
        tokio::spawn(async {}).await.expect("task");
    }
    (t0.elapsed().as_nanos(), n)
}

async fn yield_alone(n: u64) -> (u128, u64) {
    let t0 = Instant::now();
    for _ in 0..n {
        yield_now().await;
    }
    (t0.elapsed().as_nanos(), n)
}

async fn fan_node(width: u64) {
    let leaves: Vec<_> = (0..width).map(|_| tokio::spawn(yield_now())).collect();
    for l in leaves {
        l.await.expect("leaf");
    }
}

async fn fan_out(rounds: u64, width: u64) -> (u128, u64) {
    let t0 = Instant::now();
    for _ in 0..rounds {
        let nodes: Vec<_> = (0..width).map(|_| tokio::spawn(fan_node(width))).collect();
        for n in nodes {
            n.await.expect("node");
        }
    }
    (t0.elapsed().as_nanos(), rounds * (width + width * width))
}

async fn gather(rounds: u64, width: u64) -> (u128, u64) {
    let t0 = Instant::now();
    for _ in 0..rounds {
        let mut set = JoinSet::new();
        for _ in 0..width {
            set.spawn(yield_now());
        }
        while let Some(r) = set.join_next().await {
            r.expect("task");
        }
    }
    (t0.elapsed().as_nanos(), rounds * width)
}

async fn lock(tasks: u64, times: u64) -> (u128, u64) {
    let m = Arc::new(Mutex::new(0u64));
    let t0 = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let m = m.clone();
            tokio::spawn(async move {
                for _ in 0..times {
                    *m.lock().await += 1;
                }
            })
        })
        .collect();
    for h in handles {
        h.await.expect("task");
    }
    let ns = t0.elapsed().as_nanos();
    assert_eq!(*m.lock().await, tasks * times);
    (ns, tasks * times)
}

async fn queue(producers: u64, items: u64) -> (u128, u64) {
    let t0 = Instant::now();
    let (tx, mut rx) = mpsc::channel::<u64>(1024);
    for _ in 0..producers {
        let tx = tx.clone();
        tokio::spawn(async move {
            for i in 0..items {
                tx.send(i).await.expect("send");
            }
        });
    }
    drop(tx);
    let mut got = 0;
    while rx.recv().await.is_some() {
        got += 1;
    }
    assert_eq!(got, producers * items);
    (t0.elapsed().as_nanos(), got)
}

async fn to_thread(n: u64) -> (u128, u64) {
    let t0 = Instant::now();
    for i in 0..n {
        let r = tokio::task::spawn_blocking(move || i + 1).await.expect("blocking");
        assert_eq!(r, i + 1);
    }
    (t0.elapsed().as_nanos(), n)
}

async fn process_pool(n: u64, procs: u64) -> (u128, u64) {
    let me = std::env::current_exe().expect("current_exe");
    let mut pool = Vec::new();
    for _ in 0..procs.max(1) {
        let mut c = Command::new(&me)
            .arg("child")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("child");
        let stdin = c.stdin.take().expect("stdin");
        let stdout = c.stdout.take().expect("stdout");
        pool.push((c, stdin, stdout));
    }
    let t0 = Instant::now();
    let mut byte = [0u8; 1];
    for i in 0..n {
        let k = (i % pool.len() as u64) as usize;
        let (_, stdin, stdout) = &mut pool[k];
        stdin.write_all(&[i as u8]).await.expect("to child");
        stdout.read_exact(&mut byte).await.expect("from child");
        assert_eq!(byte[0], (i as u8).wrapping_add(1));
    }
    let ns = t0.elapsed().as_nanos();
    for (mut c, stdin, _) in pool {
        drop(stdin);
        c.wait().await.expect("child exit");
    }
    (ns, n)
}

/// `tokio-peer child`: the process pool's worker, plain blocking pipes.
fn child() -> ! {
    let mut b = [0u8; 1];
    let mut i = std::io::stdin().lock();
    let mut o = std::io::stdout().lock();
    while i.read_exact(&mut b).is_ok() {
        b[0] = b[0].wrapping_add(1);
        if o.write_all(&b).and_then(|_| o.flush()).is_err() {
            break;
        }
    }
    exit(0)
}

async fn memory(n: u64, ms: u64) -> (u128, u64) {
    // Every task counts itself, then sleeps; once all n have counted (all
    // asleep at once), the process exits at once: its peak RSS is then that
    // of n sleeping tasks.
    let started = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let started = started.clone();
            tokio::spawn(async move {
                started.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(ms)).await
            })
        })
        .collect();
    while started.load(Ordering::Relaxed) < n {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    println!("{}", t0.elapsed().as_nanos());
    std::io::stdout().flush().expect("flush");
    std::mem::forget(handles);
    exit(0)
}

async fn echo_conn(mut s: tokio::net::TcpStream) {
    let mut buf = vec![0u8; 16384];
    loop {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if s.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

async fn echo(port: u64) -> (u128, u64) {
    let l = TcpListener::bind(("127.0.0.1", port as u16)).await.expect("bind");
    println!("listening on 127.0.0.1:{}", l.local_addr().expect("addr").port());
    std::io::stdout().flush().expect("flush");
    loop {
        let (s, _) = l.accept().await.expect("accept");
        s.set_nodelay(true).expect("nodelay");
        tokio::spawn(echo_conn(s));
    }
}

async fn workload(name: String, a: u64, b: u64) -> (u128, u64) {
    match name.as_str() {
        "spawn_many" => spawn_many(a).await,
        "yield_many" => yield_many(a, b).await,
        "ping_pong" => ping_pong(a, b).await,
        "chained_spawn" => chained_spawn(a, b).await,
        "timers" => timers(a, b).await,
        "spawn_await" => spawn_await(a).await,
        "yield" => yield_alone(a).await,
        "fan_out" => fan_out(a, b).await,
        "gather" => gather(a, b).await,
        "lock" => lock(a, b).await,
        "queue" => queue(a, b).await,
        "to_thread" => to_thread(a).await,
        "process_pool" => process_pool(a, b).await,
        "memory" => memory(a, b).await,
        "echo" => echo(a).await,
        _ => usage(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("child") {
        child();
    }
    if args.len() < 6 {
        usage();
    }
    let num = |s: &String| s.parse::<u64>().unwrap_or_else(|_| usage());
    let workers = num(&args[2]) as usize;
    let name = args[3].clone();
    let reps = num(&args[4]);
    let a = num(&args[5]);
    let b = args.get(6).map(num).unwrap_or(1);
    let rt = runtime(&args[1], workers);
    // memory and echo run once, with no warm-up (a warm-up would raise the
    // peak RSS; the echo server never returns).
    if name == "memory" || name == "echo" {
        let (ns, _) = rt.block_on(rt.spawn(workload(name, a, b))).expect("workload");
        println!("{}", ns);
        return;
    }
    for rep in 0..=reps {
        // The first run warms up (thread start, allocator, timer wheel) with
        // a tenth of A and is not printed.
        let a_now = if rep == 0 { (a / 10).max(1) } else { a };
        let job = rt.spawn(workload(name.clone(), a_now, b));
        let (ns, ops) = rt.block_on(job).expect("workload");
        if rep > 0 {
            println!("{:.3}", ns as f64 / ops as f64);
        }
    }
}
