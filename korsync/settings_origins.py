"""Where each setting's value came from (a command-line option, the environment, the env file,
a systemd credential, or the default), each value as it may be shown (secrets redacted), and the
``KORSYNC_*`` variables that name no setting, with the setting they probably meant."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from pydantic import SecretStr

from korsync.config import ENV_PREFIX, NOT_SETTINGS, Settings, resolve_env_file

REDACTED = "[redacted]"


def _variable(name: str) -> str:
    return f"{ENV_PREFIX}{name.upper()}"


def _env_file_names(env_file: Path | None) -> set[str]:
    return {key.upper() for key in dotenv_values(env_file)} if env_file else set()


def _credential(name: str) -> bool:
    directory = os.environ.get("CREDENTIALS_DIRECTORY")
    return bool(directory) and any(
        (Path(str(directory)) / candidate).is_file() for candidate in (name, _variable(name))
    )


def origins(env_file: str | None, overrides: Mapping[str, Any]) -> dict[str, str]:
    """Each setting's source, in the order korsync reads them (the first that has it wins)."""
    environment = {key.upper() for key in os.environ}
    path = resolve_env_file(env_file)
    in_file = _env_file_names(path)
    found: dict[str, str] = {}
    for name in Settings.model_fields:
        if name in overrides:
            found[name] = "option"
        elif _variable(name) in environment:
            found[name] = "environment"
        elif _variable(name) in in_file:
            found[name] = f"env file {path}"
        elif _credential(name):
            found[name] = "credential"
        else:
            found[name] = "default"
    return found


def shown(settings: Settings, name: str) -> str:
    """A setting's value as ``korsync config`` prints it: secrets and passwords redacted."""
    value = getattr(settings, name)
    if isinstance(value, SecretStr):
        return REDACTED
    if name == "database_url":
        return settings.sqlalchemy_url.render_as_string(hide_password=True)
    return "-" if value is None else str(value)


def unknown_variables(env_file: str | None) -> list[tuple[str, str | None]]:
    """``(variable, closest setting's variable or None)`` for each ``KORSYNC_*`` name in the
    environment or the env file that korsync does not read."""
    known = {_variable(name) for name in Settings.model_fields} | NOT_SETTINGS
    named = {key.upper() for key in os.environ} | _env_file_names(resolve_env_file(env_file))
    unknown = sorted(n for n in named if n.startswith(ENV_PREFIX) and n not in known)
    return [
        (n, next(iter(difflib.get_close_matches(n, known, n=1, cutoff=0.8)), None)) for n in unknown
    ]
