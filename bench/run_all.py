"""Run every benchmark, then rewrite the README's results section from ``bench/results/``.

``run_all.py`` runs backfill, ceiling and dlt at 100,000 orders (add ``--orders 100000
1000000`` for the long run; the ceiling is measured at 100,000 only) and regenerates the
section between ``<!-- bench:start -->`` and ``<!-- bench:end -->``; ``run_all.py
--render-only`` only regenerates it from the JSON files already there. Sizes whose results
are missing are listed as not measured.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

from common import BENCH, RESULTS, ROOT, table

START, END = "<!-- bench:start -->", "<!-- bench:end -->"
SIZES = (100_000, 1_000_000)
STEPS = ("backfill", "ceiling", "dlt_peer")
# The ceiling's rates do not depend on the size, and its load-only part holds every fetched
# order in memory (GBs at 1,000,000): it is measured at the smallest size and compared with all.
CEILING_SIZE = SIZES[0]


def load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def pick(rows: list[dict[str, Any]], **match: Any) -> dict[str, Any] | None:
    return next((r for r in rows if all(r.get(k) == v for k, v in match.items())), None)


def machine_line(document: dict[str, Any]) -> str:
    m = document["machine"]
    rows = document["rows"]
    days = sorted({row.get("measured_at", document["measured_at"])[:10] for row in rows})
    when = " to ".join(dict.fromkeys([days[0], days[-1]]))
    return (
        f"Measured {when} on {m['cpus']} cores ({m['cpu_model']}), "
        f"{m['memory_gib']} GiB RAM, PostgreSQL {m['postgres']}, Python {m['python']}; the "
        "simulator runs on the same machine, and the machine was shared with other engineers' "
        "test runs (load average at start "
        f"{', '.join(f'{x:.1f}' for x in m['load_avg_at_start'])}), so figures are noisy."
    )


def korsync_section(size: int, backfill: dict[str, Any]) -> list[str]:
    columns = ["database", "latency_ms", "workers", "processes", "orders", "wall_s"]
    columns += ["orders_per_s", "requests", "requests_per_s", "cpu_s_per_1k_orders"]
    columns += ["peak_rss_mb", "peak_pss_mb", "noop_requests", "noop_wall_s"]
    return [
        f"**korsync backfill, {size:,} orders** (`korsync backfill --workers W --processes P`, "
        "then the no-op `korsync sync --stream orders`; memory is the process tree's):",
        "",
        table(backfill["rows"], columns),
        "",
    ]


def peer_section(size: int, backfill: dict[str, Any], peer: dict[str, Any]) -> list[str]:
    rows = []
    for dlt in peer["rows"]:
        ours = pick(backfill["rows"], database="postgresql", latency_ms=dlt["latency_ms"])
        if ours is None:
            continue
        rows.append(
            {
                "latency_ms": dlt["latency_ms"],
                "korsync_wall_s": ours["wall_s"],
                "dlt_wall_s": dlt["wall_s"],
                "speed-up (dlt/korsync wall)": dlt["wall_s"] / ours["wall_s"],
                "CPU korsync/dlt": ours["cpu_s"] / dlt["cpu_s"],
                "RSS korsync/dlt": ours["peak_rss_mb"] / dlt["peak_rss_mb"],
                "dlt_peak_rss_mb": dlt["peak_rss_mb"],
                "dlt_orders": dlt["orders"],
            }
        )
    columns = list(rows[0]) if rows else ["latency_ms"]
    return [
        f"**korsync vs dlt `rest_api`, {size:,} orders into PostgreSQL:**",
        "",
        table(rows, columns),
        "",
    ]


def ceiling_section(size: int, backfill: dict[str, Any], ceiling: dict[str, Any]) -> list[str]:
    measured = ceiling["rows"][0]["orders"]
    load_only = pick(ceiling["rows"], part="load-only (COPY)")
    rows = []
    for fetch in [r for r in ceiling["rows"] if r["part"] == "fetch-only"]:
        ours = pick(backfill["rows"], database="postgresql", latency_ms=fetch["latency_ms"])
        lower = min(fetch["orders_per_s"], load_only["orders_per_s"] if load_only else 1e18)
        rows.append(
            {
                "latency_ms": fetch["latency_ms"],
                "fetch-only orders/s": fetch["orders_per_s"],
                "load-only (COPY) orders/s": load_only["orders_per_s"] if load_only else None,
                "korsync orders/s": ours["orders_per_s"] if ours else None,
                "fraction of ceiling": (ours["orders_per_s"] / lower) if ours else None,
            }
        )
    return [
        f"**Ceiling** (measured at {measured:,} orders; 4 threads, korsync's HTTP client; COPY of "
        f"pre-built rows) **vs korsync at {size:,} orders:**",
        "",
        table(rows, list(rows[0])),
        "",
    ]


def targets(
    size: int, backfill: dict[str, Any], peer: dict[str, Any] | None, ceiling: dict[str, Any] | None
) -> list[str]:
    """The issue's targets, checked against this size's figures."""
    checks = []
    for latency, speed_up in ((100.0, 5.0), (0.0, 2.0)):
        ours = pick(backfill["rows"], database="postgresql", latency_ms=latency)
        dlt = pick(peer["rows"], latency_ms=latency) if peer else None
        if ours and dlt:
            ratio = dlt["wall_s"] / ours["wall_s"]
            mark = "met" if ratio >= speed_up else "missed"
            checks.append(
                f"{latency:.0f} ms: >= {speed_up:.0f}x faster than dlt: {ratio:.2f}x, {mark}"
            )
            if latency == 100.0:
                rss = ours["peak_rss_mb"] / dlt["peak_rss_mb"]
                mark = "met" if rss <= 0.25 else "missed"
                checks.append(f"100 ms: <= 1/4 of dlt's peak RSS: {rss:.2f}, {mark}")
    ours = pick(backfill["rows"], database="postgresql", latency_ms=0.0)
    if ours and ceiling:
        fetch = pick(ceiling["rows"], part="fetch-only", latency_ms=0.0)
        load_only = pick(ceiling["rows"], part="load-only (COPY)")
        if fetch and load_only:
            share = ours["orders_per_s"] / min(fetch["orders_per_s"], load_only["orders_per_s"])
            mark = "met" if share >= 0.6 else "missed"
            checks.append(f"0 ms: >= 60 % of the ceiling: {share:.0%}, {mark}")
    peak = max(r["peak_rss_mb"] for r in backfill["rows"])
    mark = "met" if peak < 250 else "missed"
    checks.append(f"peak RSS < 250 MB: {peak:.0f} MB, {mark}")
    return [
        f"Targets of issue 8 at {size:,} orders (the issue states the dlt targets for 1,000,000):",
        "",
        *[f"- {c}" for c in checks],
        "",
    ]


def memory_growth() -> list[str]:
    """The "flat from 100k to 1M" target: korsync's peak RSS per database and latency."""
    small, large = (load(f"backfill-{size}") for size in SIZES)
    if small is None or large is None:
        return []
    checks = []
    for run in large["rows"]:
        key = {"database": run["database"], "latency_ms": run["latency_ms"]}
        base = pick(small["rows"], **key)
        if base:
            growth = run["peak_rss_mb"] / base["peak_rss_mb"]
            mark = "met" if growth <= 1.2 and run["peak_rss_mb"] < 250 else "missed"
            checks.append(
                f"- {run['database']}, {run['latency_ms']:.0f} ms: {base['peak_rss_mb']:.0f} MB at "
                f"{SIZES[0]:,} -> {run['peak_rss_mb']:.0f} MB at {SIZES[1]:,} "
                f"({growth:.2f}x), {mark}"
            )
    header = "Peak RSS flat from 100,000 to 1,000,000 orders (at most +20 %) and under 250 MB:"
    return [header, "", *checks, ""] if checks else []


def render() -> str:
    lines: list[str] = []
    missing, machine = [], ""
    for size in SIZES:
        backfill, ceiling, peer = (load(f"{n}-{size}") for n in ("backfill", "ceiling", "dlt"))
        ceiling = ceiling or load(f"ceiling-{CEILING_SIZE}")  # rates: see CEILING_SIZE
        if backfill is None:
            missing.append(f"{size:,}")
            continue
        if machine_line(backfill) != machine:
            machine = machine_line(backfill)
            lines += [machine, ""]
        lines += korsync_section(size, backfill)
        if peer:
            lines += peer_section(size, peer=peer, backfill=backfill)
        if ceiling:
            lines += ceiling_section(size, backfill, ceiling)
        lines += targets(size, backfill, peer, ceiling)
        absent = [name for name, doc in (("dlt", peer), ("the ceiling", ceiling)) if doc is None]
        if absent:
            lines += [f"Not run at {size:,} orders: {' and '.join(absent)}.", ""]
    lines += memory_growth()
    if missing:
        lines.append(
            f"Not measured: {' and '.join(missing)} orders (no results in `bench/results/`: "
            "not run in the time available; `bench/run_all.py --orders 1000000` produces them)."
        )
        lines.append("")
    lines.append("How to run, and how long each script takes: `bench/README.md`.")
    return "\n".join(lines)


def write_readme(section: str) -> None:
    readme = ROOT / "README.md"
    text = readme.read_text()
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    readme.write_text(f"{before}{START}\n{section}\n{END}{after}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, nargs="+", default=[100_000])
    parser.add_argument("--render-only", action="store_true")
    args = parser.parse_args()
    if not args.render_only:
        for size in args.orders:
            for step in STEPS:
                if step == "ceiling" and size != CEILING_SIZE:
                    continue
                script = str(BENCH / f"{step}.py")
                subprocess.run([sys.executable, script, "--orders", str(size)], check=True)
    section = render()
    write_readme(section)
    print(section)


if __name__ == "__main__":
    main()
