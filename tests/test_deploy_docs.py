"""The systemd units' ``Documentation=`` names korsync's own documents, at the paths the wheel
installs them to in the environment deploy/README.md creates (``/opt/korsync``)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "/opt/korsync"


@pytest.mark.parametrize("unit", ["korsync.service", "korsync-backfill.service"])
def test_unit_documentation_is_installed_by_the_wheel(unit: str) -> None:
    """Each ``Documentation=`` URI is a file the wheel's shared data puts under the venv."""
    text = (ROOT / "deploy" / unit).read_text()
    uris = [uri for line in re.findall(r"^Documentation=(.*)$", text, re.M) for uri in line.split()]
    assert uris
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    shared = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["shared-data"]
    installed = {f"file://{PREFIX}/{target}": source for source, target in shared.items()}
    for uri in uris:
        assert uri in installed, f"{uri} is not installed by the wheel"
        assert (ROOT / installed[uri]).is_file()
    assert f"python3 -m venv {PREFIX}\n" in (ROOT / "deploy" / "README.md").read_text()
