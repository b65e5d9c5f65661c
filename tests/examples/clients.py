#!/usr/bin/env python3
"""Drives the example servers with real clients that no one here wrote.

    clients.py http HTTP_SERVER     curl and http.client against http_server
    clients.py echo ECHO_SERVER TCP_CLIENT    socat and tcp_client against
                                              echo_server

Each server starts with its default worker count (every core) on port 0 and
prints the port it got; the server is stopped with SIGTERM at the end. Any
failed check raises, and the exit status is non-zero.
"""
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time


def start(binary):
    env = dict(os.environ)
    env.pop("WEFT_WORKERS", None)  # every core, as a user would run it
    p = subprocess.Popen([binary, "0"], stdout=subprocess.PIPE, env=env,
                         text=True)
    line = p.stdout.readline()
    m = re.search(r"listening on [0-9.]+:(\d+) with (\d+) workers", line)
    if not m:
        p.kill()
        raise SystemExit(f"{binary}: unexpected first line {line!r}")
    return p, int(m.group(1)), int(m.group(2))


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        raise


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok:", what)


def read_responses(sock, n):
    """Reads n HTTP responses (Content-Length bodies) from a raw socket."""
    buf, out = b"", []
    sock.settimeout(10)
    while len(out) < n:
        head_end = buf.find(b"\r\n\r\n")
        if head_end >= 0:
            head = buf[:head_end].decode()
            length = int(re.search(r"Content-Length: (\d+)", head).group(1))
            if len(buf) >= head_end + 4 + length:
                out.append((head, buf[head_end + 4:head_end + 4 + length]))
                buf = buf[head_end + 4 + length:]
                continue
        chunk = sock.recv(65536)
        if not chunk:
            break
        buf += chunk
    return out


def stats(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/stats")
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    rows = re.findall(r"worker (\d+): connections (\d+) requests (\d+)", body)
    return body, [(int(a), int(b), int(c)) for a, b, c in rows]


def http_test(binary):
    p, port, workers = start(binary)
    try:
        check(workers == len(os.sched_getaffinity(0)),
              f"one worker per core by default ({workers})")
        base = f"http://127.0.0.1:{port}"
        # curl: a page, then two URLs over one kept-alive connection.
        out = subprocess.run(["curl", "-s", "-i", base + "/"],
                             capture_output=True, text=True, timeout=20)
        check(out.returncode == 0 and out.stdout.startswith("HTTP/1.1 200"),
              "curl GET / is 200")
        check("Hello from weft" in out.stdout, "curl gets the page")
        out = subprocess.run(
            ["curl", "-s", "-w", "%{num_connects}\n",
             "-o", "/dev/null", base + "/", "-o", "/dev/null",
             base + "/missing"],
            capture_output=True, text=True, timeout=20)
        check(out.stdout.split() == ["1", "0"],
              "curl reuses its connection for the second URL (keep-alive)")
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w",
                              "%{http_code}", base + "/missing"],
                             capture_output=True, text=True, timeout=20)
        check(out.stdout == "404", "curl: an unknown path is 404")

        # http.client: keep-alive, many requests on one connection.
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        sock = None
        for i in range(20):
            c.request("GET", "/")
            r = c.getresponse()
            body = r.read()
            if r.status != 200 or b"Hello from weft" not in body:
                raise AssertionError(f"http.client request {i}: {r.status}")
            if sock is None:
                sock = c.sock
            if c.sock is not sock:
                raise AssertionError(f"request {i} needed a new connection")
        check(True, "http.client: 20 requests on one kept-alive connection")
        c.close()

        # Pipelining: three requests in one write, three answers in order.
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET /missing HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET /stats HTTP/1.1\r\nHost: x\r\n\r\n")
        rs = read_responses(s, 3)
        check([h.split()[1] for h, _ in rs] == ["200", "404", "200"],
              "pipelined requests are answered in order")
        check(b"workers" in rs[2][1], "the third pipelined answer is /stats")
        s.close()

        # A malformed request: 400, the connection closes, the server goes on.
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        rs = read_responses(s, 1)
        check(len(rs) == 1 and rs[0][0].startswith("HTTP/1.1 400"),
              "a malformed request gets 400")
        check(s.recv(1) == b"", "and its connection is closed")
        s.close()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/")
        check(c.getresponse().status == 200,
              "the server keeps serving after a malformed request")
        c.close()

        # Many connections at once, then /stats adds up.
        conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                 for _ in range(50)]
        for cc in conns:
            cc.request("GET", "/")
        statuses = [cc.getresponse().status for cc in conns]
        check(statuses == [200] * 50, "50 connections at once")
        for cc in conns:
            cc.close()
        body, rows = stats(port)
        check(len(rows) == workers, "/stats has a row per worker")
        # 1 + 2 (curl) + 1 + 20 + 3 + 1 + 50 requests before this /stats
        # (the malformed one is not a request), and this one.
        total = sum(r[2] for r in rows)
        check(total == 1 + 2 + 1 + 20 + 3 + 1 + 50 + 1,
              f"/stats counts every request ({total})")
        print(body, end="")
    finally:
        stop(p)


def echo_test(server, client):
    p, port, workers = start(server)
    try:
        out = subprocess.run(["socat", "-t", "5", "-", f"TCP:127.0.0.1:{port}"],
                             input=b"hello, weft\n", capture_output=True,
                             timeout=20)
        check(out.stdout == b"hello, weft\n", "socat gets its line back")
        data = os.urandom(1 << 20)
        out = subprocess.run(["socat", "-t", "5", "-", f"TCP:127.0.0.1:{port}"],
                             input=data, capture_output=True, timeout=30)
        check(out.stdout == data, "socat gets 1 MiB back byte for byte")
        procs = [subprocess.Popen(["socat", "-t", "5", "-",
                                   f"TCP:127.0.0.1:{port}"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                 for _ in range(8)]
        outs = [pp.communicate(input=b"client %d\n" % i, timeout=30)[0]
                for i, pp in enumerate(procs)]
        check(outs == [b"client %d\n" % i for i in range(8)],
              "8 socat clients at once")
        out = subprocess.run([client, str(port), "127.0.0.1", "16", "200"],
                             capture_output=True, text=True, timeout=60)
        check(out.returncode == 0 and "3200 round trips" in out.stdout,
              "tcp_client: 16 connections x 200 round trips")
        print(out.stdout, end="")
    finally:
        stop(p)


if __name__ == "__main__":
    if sys.argv[1] == "http":
        http_test(sys.argv[2])
    else:
        echo_test(sys.argv[2], sys.argv[3])
