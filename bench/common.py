"""What every benchmark shares: the simulator process, measured child processes, scratch
databases, the machine description, and writing results (a printed table and a JSON file)."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
VENV_BIN = Path(sys.executable).parent
KORSYNC = str(VENV_BIN / "korsync")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclasses.dataclass(frozen=True)
class Simulator:
    """A running simulator process: where it listens and the bearer token to use."""

    base_url: str
    token: str
    process: subprocess.Popen[str]

    def requests(self) -> int:
        """API requests served so far."""
        return int(httpx.get(f"{self.base_url}/_bench/requests").json()["requests"])


@contextlib.contextmanager
def simulator(orders: int, latency_ms: float, seed: int = 1) -> Iterator[Simulator]:
    """Start ``bench/sim_server.py`` in its own process (its own GIL); stop it on exit."""
    with sim_server(
        "--orders", str(orders), "--latency-ms", str(latency_ms), "--seed", str(seed)
    ) as sim:
        yield sim


@contextlib.contextmanager
def sim_server(*args: str) -> Iterator[Simulator]:
    """``bench/sim_server.py`` with ``args``, in its own process; stopped on exit."""
    command = [sys.executable, str(BENCH / "sim_server.py"), *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().split()[1]
        token = process.stdout.readline().split()[1]
        yield Simulator(base_url, token, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a loaded machine: the figures are in, do not lose them
            process.kill()
            process.wait()


@dataclasses.dataclass(frozen=True)
class Measured:
    """Wall time, CPU time (user + system, waited-for descendants included) and peak RSS."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    peak_pss_mb: float
    returncode: int
    output: str


def measure(command: Sequence[str], env: Mapping[str, str] | None = None) -> Measured:
    """Run ``command`` and return its resource usage: ``wait4`` of that child (CPU includes the
    worker processes it waited for) and the peak of its whole process tree's resident memory
    (the sum over the process and its descendants, sampled every 0.5 s)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        list(command),
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    done = threading.Event()
    peak_kb = [0, 0]  # resident, proportional

    def sample() -> None:
        while not done.wait(0.5):
            now = tree_memory_kb(process.pid)
            peak_kb[:] = [max(peak, value) for peak, value in zip(peak_kb, now, strict=True)]

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert process.stdout is not None
    output = process.stdout.read().decode(errors="replace")
    done.set()
    sampler.join()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    peak_mb = max(usage.ru_maxrss, peak_kb[0]) / 1024
    result = Measured(wall, cpu, peak_mb, peak_kb[1] / 1024, process.returncode, output)
    if result.returncode != 0:
        print(output[-4000:], file=sys.stderr)
        raise RuntimeError(f"{command[0]} exited with {result.returncode}")
    return result


def tree_memory_kb(root: int) -> tuple[int, int]:
    """Resident and proportional memory (KiB) of process ``root`` and all its descendants now.

    RSS counts shared library pages once per process; PSS shares them out between the
    processes mapping them, so a process tree's PSS sum is what it really occupies.
    """
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):  # ended while we looked
                stat = (entry / "stat").read_text()
                parent = int(stat.rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    rss = pss = 0
    pending = [root]
    while pending:
        pid = pending.pop()
        pending += children.get(pid, [])
        with contextlib.suppress(OSError):
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
            fields = dict(line.split()[:2] for line in rollup if line.endswith("kB"))
            rss, pss = rss + int(fields["Rss:"]), pss + int(fields["Pss:"])
    return rss, pss


def server_cpu_s() -> float | None:
    """CPU seconds PostgreSQL's processes have used so far: the postmaster's own and its
    children's, those ended (reaped, in its ``cutime``) and those running; ``None`` when the
    server is not on this machine (or its files cannot be read). Taken before and after a run,
    the difference is what the server spent on it (and on anything else meanwhile)."""

    def stat(pid: int | str) -> list[str]:  # the fields after the process's name
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()

    try:
        data = Path(psql("SHOW data_directory"))
        postmaster = int((data / "postmaster.pid").read_text().split()[0])
        # utime, stime, cutime, cstime (stat's fields 14 to 17)
        ticks = sum(int(value) for value in stat(postmaster)[11:15])
        for entry in Path("/proc").iterdir():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = stat(entry.name) if entry.name.isdigit() else []
                if fields and int(fields[1]) == postmaster:
                    ticks += int(fields[11]) + int(fields[12])
    except (OSError, ValueError, subprocess.CalledProcessError):
        return None
    return ticks / os.sysconf("SC_CLK_TCK")


def psql(sql: str, database: str = "postgres") -> str:
    """Run one SQL command with ``psql`` as the postgres superuser; its unaligned output."""
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + database
    done = subprocess.run(
        ["psql", url, "-v", "ON_ERROR_STOP=1", "-tAc", sql],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@contextlib.contextmanager
def scratch_postgres(name: str) -> Iterator[str]:
    """A fresh PostgreSQL database ``name`` (dropped on exit); yields its SQLAlchemy URL. With
    ``BENCH_DB_SUFFIX`` set, the name ends with it, so that benchmarks run from two
    checkouts on one server do not drop each other's databases."""
    name += os.environ.get("BENCH_DB_SUFFIX", "")
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def db_name(url: str) -> str:
    """The database name in a PostgreSQL URL from ``scratch_postgres``."""
    return url.rsplit("/", 1)[1]


@contextlib.contextmanager
def scratch_sqlite(name: str) -> Iterator[str]:
    """A fresh SQLite file under ``bench/results/`` (removed on exit); yields its URL."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.db"
    paths = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    for leftover in paths:
        leftover.unlink(missing_ok=True)
    try:
        yield f"sqlite:///{path}"
    finally:
        for leftover in paths:
            leftover.unlink(missing_ok=True)


def machine() -> dict[str, Any]:
    """The machine the figures come from."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.splitlines()
    total_gib = int(memory[1].split()[1]) + 1 if len(memory) > 1 else None
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": total_gib,
        "python": platform.python_version(),
        "postgres": psql("SHOW server_version"),
        "load_avg_at_start": os.getloadavg(),
    }


def save(
    name: str,
    rows: list[dict[str, Any]],
    keys: Sequence[str],
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``bench/results/<name>.json`` (rows, machine, time) and return its path.

    Rows already in the file whose ``keys`` were not measured again are kept, each with its own
    ``measured_at``, so re-running one latency or database does not throw the others away."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    fresh = [{**row, "measured_at": now} for row in rows]
    measured = {tuple(row.get(k) for k in keys) for row in fresh}
    kept = []
    if path.exists():
        old = json.loads(path.read_text())
        for row in old["rows"]:
            if tuple(row.get(k) for k in keys) not in measured:
                kept.append({"measured_at": old["measured_at"], **row})
    document = {
        "benchmark": name,
        "measured_at": now,
        "machine": machine(),
        "note": "2 shared cores: the simulator runs on the same machine, and other engineers' "
        "test runs may have competed for CPU during the measurement.",
        **(extra or {}),
        "rows": kept + fresh,
    }
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return path


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """A Markdown table of ``columns`` (floats rounded sensibly)."""

    def cell(value: Any) -> str:
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
            return f"{value:,.0f}"
        if isinstance(value, float):
            return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"
        if isinstance(value, int):
            return f"{value:,}"
        return "-" if value is None else str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines)
