"""The shipped Prometheus alert rules and Grafana dashboard parse, and every metric they query is
one the daemon exports (names read from its registry); ``promtool`` checks the rules where it is
installed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from korsync.daemon.metrics import Metrics

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
RULES = DEPLOY / "prometheus" / "korsync-alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "korsync.json"
# korsync's own series and the process_* ones its registry adds; Prometheus' `up` is not ours.
METRIC = re.compile(r"\b(?:korsync|process)_[a-z0-9_]+\b")
SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("_sum", "_count"),
}


def _exported() -> set[str]:
    """The series names the daemon's registry serves, whether or not a sample exists yet."""
    names: set[str] = set()
    for family in Metrics().registry.collect():
        names |= {family.name + suffix for suffix in SUFFIXES.get(family.type, ("",))}
        names |= {sample.name for sample in family.samples}
    return names


def _queries(node: Any) -> Iterator[str]:
    """Every PromQL string in a dashboard: panel targets and template variable queries."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("expr", "query", "definition") and isinstance(value, str):
                yield value
            else:
                yield from _queries(value)
    elif isinstance(node, list):
        for item in node:
            yield from _queries(item)


def _unknown(queries: list[str]) -> dict[str, set[str]]:
    """The metric names each query uses that the daemon does not export (none, we hope)."""
    exported = _exported()
    found = {query: set(METRIC.findall(query)) - exported for query in queries}
    return {query: names for query, names in found.items() if names}


def test_alert_rules_query_only_exported_metrics() -> None:
    """Stale, failing, rejects and audit alerts exist, each queries korsync's metrics, all
    exported."""
    rules = [
        rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]
    ]
    alerts = {rule["alert"]: rule["expr"] for rule in rules}
    expected = {"KorsyncStreamStale", "KorsyncStreamFailing", "KorsyncRejectsRising"}
    assert expected | {"KorsyncAuditMismatch", "KorsyncAuditNotClean"} <= set(alerts)
    assert all(METRIC.search(alerts[name]) for name in alerts if name != "KorsyncDown")
    assert _unknown(list(alerts.values())) == {}


def test_dashboard_queries_only_exported_metrics() -> None:
    """Every panel query and template variable of the dashboard names exported series only."""
    dashboard = json.loads(DASHBOARD.read_text())
    queries = list(_queries(dashboard))
    assert dashboard["uid"] == "korsync" and len(queries) >= len(dashboard["panels"])
    assert _unknown(queries) == {}
    targets = [t for panel in dashboard["panels"] for t in panel["targets"]]
    assert all(METRIC.search(target["expr"]) for target in targets)


def test_promtool_accepts_the_alert_rules(tmp_path: Path) -> None:
    """``promtool check rules`` finds the file valid (where promtool is installed)."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (it comes with Prometheus)")
    done = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
