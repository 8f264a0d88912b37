"""How fast a Dask cluster grades a class, against the local executor, in the same run.

Generates a class of one unit (the mix of ``bench_batch.py``: every style, every known mistake, the stubs), then,
``--repeat`` times over, interleaved: ``grader grade-all --jobs 2`` here, and ``grader grade-all --executor
dask`` on a scheduler and two single-threaded workers started for it, each a process of its own in a folder of
its own (started once: what they keep warm is the point). Prints submissions per second for each, and the ratio
(Dask over local; the goal is at least 0.8). The grades of both are compared: they must be the same.

    python benchmarks/bench_cluster.py [--size 200] [--repeat 3] [--unit ID]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_batch import _figure, make_class  # noqa: E402


def start(command: list[str], folder: Path, log: Path) -> subprocess.Popen:
    folder.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        return subprocess.Popen(command, cwd=folder, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def cluster(base: Path, workers: int) -> tuple[str, list[subprocess.Popen]]:
    """A scheduler and ``workers`` single-threaded workers (no nanny), each in a folder of its own."""
    address_file = base / "scheduler.json"
    processes = [start([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port",
                        "0", "--no-dashboard", "--scheduler-file", str(address_file)], base / "scheduler",
                       base / "scheduler.log")]
    deadline = time.monotonic() + 120
    while not address_file.exists():
        if time.monotonic() > deadline:
            raise SystemExit("the scheduler did not start: " + (base / "scheduler.log").read_text()[-2000:])
        time.sleep(0.1)
    for index in range(workers):
        folder = base / f"worker{index}"
        processes.append(start([sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file",
                                str(address_file), "--nthreads", "1", "--no-nanny", "--no-dashboard",
                                "--local-directory", str(folder), "--name", f"worker{index}"], folder,
                               base / f"worker{index}.log"))
    address = json.loads(address_file.read_text())["address"]
    from distributed import Client

    with Client(address, timeout=60) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, processes


def grades(out: Path) -> str:
    return (out / "grades.csv").read_text(encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--unit", default=None)
    args = parser.parse_args()
    local_rates: list[float] = []
    dask_rates: list[float] = []
    ratios: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as temp:
        base = Path(temp)
        folder = base / "class"
        folder.mkdir()
        make_class(folder, args.size, args.unit)
        unit = ["--unit", args.unit] if args.unit else []
        command = [sys.executable, "-m", "grader", "grade-all", str(folder), *unit, "--force", "--no-similarity"]
        address, processes = cluster(base / "cluster", 2)
        try:
            for _ in range(max(1, args.repeat)):
                started = time.perf_counter()
                subprocess.run([*command, "--out", str(base / "local"), "--jobs", "2"], cwd=ROOT, check=True,
                               capture_output=True)
                local = time.perf_counter() - started
                started = time.perf_counter()
                done = subprocess.run([*command, "--out", str(base / "dask"), "--executor", "dask", "--scheduler",
                                       address], cwd=ROOT, capture_output=True, text=True)
                remote = time.perf_counter() - started
                if done.returncode != 0:
                    raise SystemExit(f"grade-all on the cluster failed: {done.stderr[-3000:]}")
                if grades(base / "local") != grades(base / "dask"):
                    raise SystemExit("the cluster's grades differ from the local executor's")
                local_rates.append(args.size / local)
                dask_rates.append(args.size / remote)
                ratios.append(local / remote)
        finally:
            for process in processes:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    print(f"class of {args.size}, the same grades both ways:")
    print(f"local executor, --jobs 2: {_figure(local_rates, ' submissions/s')}")
    print(f"Dask, two single-threaded workers: {_figure(dask_rates, ' submissions/s')}")
    print(f"ratio, Dask over local: {_figure(ratios, 'x', 2)} (the goal: at least 0.8)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
