"""The benchmarks still run and print what their docstrings and the README quote (on tiny sizes: a smoke test;
the figures themselves come from real runs, never from a test)."""

import os
import re
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def run(script, *args):
    done = subprocess.run([sys.executable, str(BENCHMARKS / script), *args], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_bench_batch_grades_a_tiny_class_and_compares():
    out = run("bench_batch.py", "--size", "8", "--sample", "2")
    assert re.search(r"class of 8: grade-all [\d.]+ submissions/s", out), out
    assert re.search(r"speed-up: [\d.]+x", out), out


def test_bench_floor_measures_both_floors():
    out = run("bench_floor.py", "--runs", "3", "--round-trips", "20")
    protocol = re.search(r"pytest's protocol, 77 tests with empty bodies, in a forked child: ([\d.]+) ms", out)
    trips = re.search(r"20 round trips, both sides: -?[\d.]+ ms", out)  # 20 trips: within a start's noise
    light = re.search(r"the grader's light protocol, the same tests: ([\d.]+) ms", out)
    assert protocol and light and trips, out
    pinned = re.search(r"the same, both processes on one core \(as a batch slot runs\): -?[\d.]+ ms", out)
    assert bool(pinned) == (len(os.sched_getaffinity(0)) > 1), out  # pinned only where a core is left to pin to
    assert float(protocol.group(1)) > 0 and float(light.group(1)) > 0


def test_bench_bombs_grades_both_classes_and_gives_the_ratio():
    out = run("bench_bombs.py", "--repeat", "1", "--honest", "8")  # a smoke test: the benchmark runs with 40
    assert re.search(r"10 students \(8 honest, 2 copies\): [\d.]+ s; with the 18 bombs: [\d.]+ s", out), out
    assert re.search(r"ratio: [\d.]+ \(the goal: at most 2\)", out), out


def test_bench_cluster_grades_a_tiny_class_on_a_cluster_and_here():
    out = run("bench_cluster.py", "--size", "8", "--repeat", "1")
    assert "class of 8, the same grades both ways:" in out, out
    assert re.search(r"Dask, two single-threaded workers: [\d.]+ submissions/s", out), out
    assert re.search(r"ratio, Dask over local: [\d.]+x \(the goal: at least 0.8\)", out), out


def test_bench_mutants_times_a_units_mutants_against_one_grade():
    out = run("bench_mutants.py", "--unit", "pooling", "--repeat", "1")
    assert re.search(r"grader mutants --unit pooling: [\d.]+ s for \d+ mutants", out), out
    assert re.search(r"one mutant: [\d.]+ s, [\d.]+ of a cold grader grade", out), out
