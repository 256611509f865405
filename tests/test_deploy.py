"""The deploy files: the env example lists every setting, and systemd accepts the units."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from korsync.config import ENV_PREFIX, Settings

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def test_env_example_lists_every_setting_commented_without_values_for_secrets() -> None:
    """korsync.env.example names each setting once, commented out; secrets have no value."""
    text = (DEPLOY / "korsync.env.example").read_text()
    listed = re.findall(rf"^#({ENV_PREFIX}[A-Z_]+)=(.*)$", text, flags=re.MULTILINE)
    names = [name for name, _ in listed]
    expected = {f"{ENV_PREFIX}{field.upper()}" for field in Settings.model_fields}
    assert expected <= set(names), sorted(expected - set(names))
    assert not [line for line in text.splitlines() if line.startswith(ENV_PREFIX)]
    secrets = {"KORSYNC_API_TOKEN", "KORSYNC_CLIENT_SECRET", "KORSYNC_PII_KEY"}
    assert all(value == "" for name, value in listed if name in secrets)


@pytest.mark.parametrize("unit", ["korsync.service", "korsync-backfill.service"])
def test_systemd_analyze_verify_accepts_the_units(unit: str, tmp_path: Path) -> None:
    """``systemd-analyze verify`` finds nothing wrong in the units (where it is installed)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    korsync = Path(sys.executable).with_name("korsync")  # the console script beside python
    if not korsync.is_file():
        pytest.skip("no installed korsync to stand in for /opt/korsync/bin/korsync")
    text = (DEPLOY / unit).read_text().replace("/opt/korsync/bin/korsync", str(korsync))
    (tmp_path / unit).write_text(text)
    done = subprocess.run(
        [analyze, "verify", "--man=no", str(tmp_path / unit)], capture_output=True, text=True
    )
    problems = [line for line in done.stderr.splitlines() if unit in line]
    assert done.returncode == 0 and not problems, done.stderr
