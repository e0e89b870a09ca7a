#!/usr/bin/env python3
"""curve.py: what a group costs per task as it grows (make bench runs it).

For each size N (BENCH_CURVE_SIZES, default 10 100 1000 5000 10000), a
group of N tasks: N-1 that sleep and one that fails (exit 3) when told to.
Each size runs BENCH_CURVE_RUNS times (default 3); the figures are medians:

  start   from ecg-run's exec to its READY=1 (every task started), read on
          a NOTIFY_SOCKET of our own, as a service manager would
  rss     ecg-run's peak resident set (VmHWM) once all have started
  idle    ecg-run's CPU time and context switches over BENCH_CURVE_IDLE_S s
          once all have started (nothing happens: both should be 0)
  stop    from the failure (just before the failing task is told to exit)
          to ecg-run's exit, every task stopped, status 3
  check   ecg-run --check of the same file (load, validate, print): the
          least of 7 tries, before the group runs

Per task: start / N; rss, stop and check as (x(N) - x(smallest)) /
(N - smallest), what one more task costs (each has a fixed part: the
binary's pages, the exit, reading the file).  The curve is flat when the
per-task figures of 1,000 and above are within 25 % of each other.

Every task holds two pipes in ecg-run, so N tasks need 2N descriptors: a
size the descriptor limit cannot hold is cut to the largest hundred that
fits, and that is said.  Writes the table (markdown) to standard output
and a plot of the per-task figures, each divided by its figure at 1,000
tasks, to BENCH_CURVE_SVG (default curve.svg in the current directory).
"""
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ECG = os.environ.get("ECG", "build/ecg-run")
SIZES = [int(x) for x in os.environ.get("BENCH_CURVE_SIZES", "10 100 1000 5000 10000").split()]
RUNS = int(os.environ.get("BENCH_CURVE_RUNS", "3"))
IDLE_S = float(os.environ.get("BENCH_CURVE_IDLE_S", "2"))
SVG = os.environ.get("BENCH_CURVE_SVG", "curve.svg")
TIMEOUT = 300
CHECK_TRIES = 7
TICK = os.sysconf("SC_CLK_TCK")


def note(*a):
    print(*a, file=sys.stderr, flush=True)


def fits(n):
    """The largest size up to n whose pipes the descriptor limit holds."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or 2 * n + 64 <= hard:
        return n
    return max(100, (hard - 64) // 2 // 100 * 100)


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.split()[0] if v.split() else ""
    return out


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])	# utime + stime


def write_group(path, n, fifo):
    with open(path, "w") as f:
        f.write("[group]\nstop_timeout = 5s\n")
        for i in range(n - 1):
            f.write(f"\n[s{i}]\ncommand = exec sleep 1000\n")
        # reads one line from the fifo, then fails
        f.write(f"\n[fail]\ncommand = read x <{fifo}; exit 3\n")


def one_run(work, n):
    ini = os.path.join(work, f"g{n}.ini")
    fifo = os.path.join(work, "go")
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    write_group(ini, n, fifo)
    sock_path = os.path.join(work, "notify.sock")
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sock_path)
    sock.settimeout(TIMEOUT)
    env = dict(os.environ, NOTIFY_SOCKET=sock_path)
    r = {}
    # first, while nothing else runs (a group that just ended is still being
    # cleaned up by the kernel); the least of CHECK_TRIES: a load is short,
    # and a busy moment only adds
    best = None
    for _ in range(CHECK_TRIES):
        t2 = time.monotonic()
        subprocess.run([ECG, "--check", "-c", ini], stdout=subprocess.DEVNULL, check=True)
        t3 = time.monotonic() - t2
        best = t3 if best is None else min(best, t3)
    r["check"] = best
    t0 = time.monotonic()
    p = subprocess.Popen([ECG, "-q", "--control", "none", "-c", ini], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while b"READY=1" not in sock.recv(4096):
            pass
        r["start"] = time.monotonic() - t0
        time.sleep(0.5)
        st = proc_status(p.pid)
        c0, v0 = cpu_ticks(p.pid), int(st["voluntary_ctxt_switches"]) + int(
            st["nonvoluntary_ctxt_switches"])
        time.sleep(IDLE_S)
        st = proc_status(p.pid)
        r["idle_cpu"] = (cpu_ticks(p.pid) - c0) / TICK
        r["idle_cs"] = int(st["voluntary_ctxt_switches"]) + int(
            st["nonvoluntary_ctxt_switches"]) - v0
        r["rss"] = int(st["VmHWM"])	# KiB
        fd = os.open(fifo, os.O_WRONLY)
        t1 = time.monotonic()
        os.write(fd, b"go\n")
        os.close(fd)
        status = p.wait(timeout=TIMEOUT)
        r["stop"] = time.monotonic() - t1
        if status != 3:
            raise RuntimeError(f"{n} tasks: ecg-run exited {status}, not 3")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        sock.close()
    return r


def svg_plot(rows, path):
    """Per-task figures divided by their figure at the base size, on log N."""
    series = [("start", "start per task", "#1f77b4"), ("rss_task", "RSS per task", "#2ca02c"),
              ("stop", "failure to exit per task", "#d62728"),
              ("check", "--check per task", "#9467bd")]
    base = next((r for r in rows if r["n"] >= 1000), rows[-1])
    pts = [r for r in rows if r["n"] >= 100]
    W, H, L, R, T, B = 640, 360, 60, 190, 30, 50
    import math
    xs = [math.log10(r["n"]) for r in pts]
    x0, x1 = min(xs), max(xs)
    y0, y1 = 0.0, 2.0

    def X(n):
        return L + (math.log10(n) - x0) / max(x1 - x0, 1e-9) * (W - L - R)

    def Y(v):
        v = min(max(v, y0), y1)
        return H - B - (v - y0) / (y1 - y0) * (H - T - B)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{L}" y="18">ecg-run: cost per task, divided by its cost at '
           f'{base["n"]:,} tasks</text>']
    # the band of +-25 % around 1
    out.append(f'<rect x="{L}" y="{Y(1.25):.1f}" width="{W - L - R}" '
               f'height="{Y(0.75) - Y(1.25):.1f}" fill="#eeeeee"/>')
    for v in (0.0, 0.5, 1.0, 1.5, 2.0):
        out.append(f'<line x1="{L}" x2="{W - R}" y1="{Y(v):.1f}" y2="{Y(v):.1f}" '
                   f'stroke="#cccccc"/>')
        out.append(f'<text x="{L - 8}" y="{Y(v) + 4:.1f}" text-anchor="end">{v:.1f}×</text>')
    for r in pts:
        out.append(f'<text x="{X(r["n"]):.1f}" y="{H - B + 18}" text-anchor="middle">'
                   f'{r["n"]:,}</text>')
    out.append(f'<text x="{(L + W - R) / 2:.0f}" y="{H - 12}" text-anchor="middle">'
               f'tasks in the group (log scale)</text>')
    for i, (key, label, colour) in enumerate(series):
        if not base.get(key):
            continue
        coords = [(X(r["n"]), Y(r[key] / base[key])) for r in pts if r.get(key) is not None]
        out.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' % (
            colour, " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)))
        for x, y in coords:
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
        ly = T + 20 + 20 * i
        out.append(f'<line x1="{W - R + 15}" x2="{W - R + 35}" y1="{ly}" y2="{ly}" '
                   f'stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{W - R + 40}" y="{ly + 4}">{label}</text>')
    out.append(f'<text x="{W - R + 15}" y="{T + 20 + 20 * len(series) + 10}" fill="#888888">'
               f'grey: within 25 %</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    sizes = []
    for n in SIZES:
        m = fits(n)
        if m != n:
            note(f"curve: {n} tasks need {2 * n + 64} descriptors, the limit is "
                 f"{resource.getrlimit(resource.RLIMIT_NOFILE)[1]}: {m} instead")
        sizes.append(m)
    # the descriptor limit ecg-run raises its own to
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    rows = []
    with tempfile.TemporaryDirectory(prefix="ecg-curve.") as work:
        for n in sizes:
            runs = []
            for _ in range(RUNS):
                runs.append(one_run(work, n))
            row = {"n": n}
            for k in runs[0]:
                row[k] = statistics.median(x[k] for x in runs)
            row["spread"] = {k: (min(x[k] for x in runs), max(x[k] for x in runs))
                             for k in ("start", "stop")}
            rows.append(row)
            note(f"curve: {n} tasks: start {row['start']:.3f} s, stop {row['stop'] * 1000:.1f} ms,"
                 f" rss {row['rss'] / 1024:.2f} MiB, check {row['check'] * 1000:.1f} ms")
    small = rows[0]
    for r in rows:
        r["rss_task"] = ((r["rss"] - small["rss"]) / (r["n"] - small["n"])
                         if r["n"] > small["n"] else None)
        r["start_task"] = r["start"] / r["n"]
        # what one more task adds: the stop has a fixed part (the exit, and
        # the machine waking from the idle window before it) as large as
        # 30 tasks' worth, which divided by N alone would bend the curve
        r["stop_task"] = ((r["stop"] - small["stop"]) / (r["n"] - small["n"])
                          if r["n"] > small["n"] else None)
        r["check_task"] = ((r["check"] - small["check"]) / (r["n"] - small["n"])
                           if r["n"] > small["n"] else None)
    print(f"### Cost per task as the group grows (median of {RUNS} runs)")
    print()
    print("| tasks | start s | per task ms | peak RSS MiB | per task KiB | idle CPU s "
          "(ctx sw) | failure to exit ms | per task µs | --check ms | per task µs |")
    print("|---|---|---|---|---|---|---|---|---|---|")

    def f(v, fmt):
        return "–" if v is None else format(v, fmt)
    for r in rows:
        print(f"| {r['n']:,} | {r['start']:.3f} | {r['start_task'] * 1000:.3f} | "
              f"{r['rss'] / 1024:.2f} | {f(r['rss_task'], '.2f')} | {r['idle_cpu']:.2f} "
              f"({r['idle_cs']:.0f}) | {r['stop'] * 1000:.1f} | "
              f"{f(None if r['stop_task'] is None else r['stop_task'] * 1e6, '.1f')} | "
              f"{r['check'] * 1000:.1f} | "
              f"{f(None if r['check_task'] is None else r['check_task'] * 1e6, '.2f')} |")
    big = [r for r in rows if r["n"] >= 1000]
    if len(big) >= 2:
        print()
        print("Per-task figures from 1,000 tasks up, largest over smallest (flat: at most 1.25×):")
        print()
        for key, label in (("start_task", "start"), ("rss_task", "RSS"),
                           ("stop_task", "failure to exit"), ("check_task", "--check")):
            v = [r[key] for r in big if r[key]]
            if v:
                ratio = max(v) / min(v)
                print(f"- {label}: {ratio:.2f}× {'(flat)' if ratio <= 1.25 else '(NOT flat)'}")
    for r in rows:
        r["start"] = r["start_task"]
        r["stop"] = r["stop_task"]
        r["check"] = r["check_task"]
    svg_plot(rows, SVG)
    note(f"curve: the plot is in {SVG}")


if __name__ == "__main__":
    main()
