//! bench/peers/tokio: weft's scheduler workloads written for Tokio.
//!
//!   tokio-peer FLAVOR WORKERS WORKLOAD REPS A [B]
//!
//! FLAVOR is multi_thread (WORKERS worker threads) or current_thread
//! (WORKERS must be 1). WORKLOAD and its sizes A, B:
//!
//!   spawn_many    A tasks (empty) spawned from one task, then all awaited
//!   yield_many    A tasks each yielding B times
//!   ping_pong     A pairs of tasks each doing B round trips
//!   chained_spawn a chain of A spawns (each task spawns the next), B times
//!   timers        A tasks each sleeping B ms: wall time
//!   spawn_await   A times: spawn one empty task and await it
//!   yield         A yields of a single task
//!
//! One warm-up run (with A/10) and then REPS runs, each on the same runtime,
//! each timed inside the runtime around the workload alone. Prints one line
//! per timed run: nanoseconds per operation (per spawned task, yield, round
//! trip, chained spawn, sleeping task, spawn+await, yield). The runtime is
//! built and dropped outside the clock.
use std::process::exit;
use std::time::{Duration, Instant};

use tokio::runtime::{Builder, Runtime};
use tokio::sync::{mpsc, oneshot};
use tokio::task::yield_now;

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
    let mut handles = Vec::with_capacity(n as usize);
    let t0 = Instant::now();
    for _ in 0..n {
        handles.push(tokio::spawn(async {}));
    }
    for h in handles.drain(..) {
        h.await.expect("task");
    }
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

async fn timers(tasks: u64, ms: u64) -> (u128, u64) {
    let t0 = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| tokio::spawn(tokio::time::sleep(Duration::from_millis(ms))))
        .collect();
    for h in handles {
        h.await.expect("sleeper");
    }
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

async fn workload(name: String, a: u64, b: u64) -> (u128, u64) {
    match name.as_str() {
        "spawn_many" => spawn_many(a).await,
        "yield_many" => yield_many(a, b).await,
        "ping_pong" => ping_pong(a, b).await,
        "chained_spawn" => chained_spawn(a, b).await,
        "timers" => timers(a, b).await,
        "spawn_await" => spawn_await(a).await,
        "yield" => yield_alone(a).await,
        _ => usage(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
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
