"""Where the test suite's CPU goes: a pytest plugin that logs each test's CPU seconds, and a per-file summary.

    PYTHONPATH=benchmarks CPU_LOG=/tmp/cpu.jsonl .venv/bin/python -m pytest -p cpu_per_test
    python benchmarks/cpu_per_test.py /tmp/cpu.jsonl

A test's CPU seconds are its process's and those of every child process it waited for (``getrusage``), from
the start of its setup to the end of its teardown: a module fixture's work counts for the first test that uses
it. Processes that no test waits for (Dask workers, DVC's queue workers) are not counted. With pytest-xdist
every test process appends to the same file. The summary prints a Markdown table, largest first.
"""

from __future__ import annotations

import collections
import json
import os
import resource
import sys
import time

import pytest


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    cpu, wall = _cpu(), time.perf_counter()
    yield
    row = {"id": item.nodeid, "cpu": round(_cpu() - cpu, 2), "wall": round(time.perf_counter() - wall, 2)}
    with open(os.environ["CPU_LOG"], "a") as log:  # one short line per write: processes do not interleave
        log.write(json.dumps(row) + "\n")


def main(path: str) -> None:
    rows = [json.loads(line) for line in open(path)]
    cpu, wall = collections.Counter(), collections.Counter()
    for row in rows:
        name = row["id"].split("::")[0]
        cpu[name] += row["cpu"]
        wall[name] += row["wall"]
    print(f"{len(rows)} tests, {sum(cpu.values()):.0f} CPU seconds\n")
    print("| test file | CPU seconds | wall seconds (summed over its tests) |\n|---|---|---|")
    for name, seconds in cpu.most_common():
        print(f"| `{name}` | {seconds:.0f} | {wall[name]:.0f} |")


if __name__ == "__main__":
    main(sys.argv[1])
