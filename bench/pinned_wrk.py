"""One wrk run pinned to a CPU, for the benchmarks that compare a server with its baseline (api, edgehit).

    python3 bench/pinned_wrk.py URL DURATION CPU    prints "rps p50_ms p99_ms non_2xx client_cpu"

or `import pinned_wrk; pinned_wrk.run(url, duration, cpu)` for the same as a dict. client_cpu is wrk's own CPU
time over wall time: near 1.0, the client, not the server, was the limit.
"""
import re
import resource
import subprocess
import sys
import time


def _ms(value):
    n, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    n = float(n)
    return n / 1000 if unit == "us" else n * 1000 if unit == "s" else n


def run(url, duration, cpu):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(["taskset", "-c", str(cpu), "wrk", "-t1", "-c64", f"-d{duration}", "--latency", url],
                         check=True, capture_output=True, text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter() - t0
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"requests_per_second": round(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))),
            "p50_ms": _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
            "p99_ms": _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
            "non_2xx": int(bad.group(1)) if bad else 0,
            "client_cpu": round((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / wall, 2)}


if __name__ == "__main__":
    r = run(*sys.argv[1:4])
    print(f"{r['requests_per_second']} {r['p50_ms']:.3f} {r['p99_ms']:.3f} {r['non_2xx']} {r['client_cpu']:.2f}")
