"""The data a task file is rendered with: ``.Run``, ``.Build``, ``.Values``, ``.Secrets`` and the JSON forms.

Mirrors acr-builder ``OverrideValuesWithBuildInfo`` key for key, because task files read these names
directly (``{{.Run.RegistryName}}``) and scripts parse ``{{.RunJSON}}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # default date: deterministic; real runs inject the start time
_SHELL_UNSAFE = re.compile(r"[^\w_^@=+%,:./-]", re.ASCII)


@dataclass(frozen=True, kw_only=True)
class RunInfo:
    """Facts about one run, known before the task file is rendered.

    ``date`` (when the run started; injected, never read from the clock here) must be timezone-aware; it
    is rendered in UTC. ``task_name`` is empty for quick runs, as in
    ACR (Azure/acr#638), even though the plan may call the task ``quickrun``.
    """

    id: str
    date: datetime = EPOCH
    registry: str = ""
    commit: str = ""
    branch: str = ""
    repository: str = ""
    git_tag: str = ""
    triggered_by: str = ""
    task_name: str = ""
    shared_volume: str = ""
    os: str = "linux"
    os_version: str = ""
    architecture: str = "amd64"

    def __post_init__(self) -> None:
        if self.date.tzinfo is None or self.date.utcoffset() is None:
            raise ValueError("RunInfo.date must be a timezone-aware datetime")

    @property
    def registry_name(self) -> str:
        """ACR's ``parseRegistryName``: the part before the first dot (``foo.azurecr.io`` -> ``foo``)."""
        return self.registry.split(".", 1)[0]

    @property
    def date_text(self) -> str:
        """Go layout ``20060102-150405z`` (the ``z`` is a literal lower-case letter)."""
        return self.date.astimezone(UTC).strftime("%Y%m%d-%H%M%S") + "z"

    def run_map(self) -> dict[str, str]:
        return {
            "ID": self.id,
            "Commit": self.commit,
            "Repository": self.repository,
            "Branch": self.branch,
            "GitTag": self.git_tag,
            "TriggeredBy": self.triggered_by,
            "Registry": self.registry,
            "RegistryName": self.registry_name,
            "Date": self.date_text,
            "SharedVolume": self.shared_volume,
            "OS": self.os,
            "OSVersion": self.os_version,
            "Architecture": self.architecture,
            "TaskName": self.task_name,
        }


def shell_quote(text: str) -> str:
    """acr-builder ``shellQuote``: ``''`` for empty, single-quote anything with a shell-special character."""
    if text == "":
        return "''"
    if _SHELL_UNSAFE.search(text):
        return "'" + text.replace("'", "'\"'\"'") + "'"
    return text


def go_json(value: object) -> str:
    """``encoding/json.Marshal``: sorted keys, no spaces, Go's float format, and ``<``, ``>``, ``&``,
    U+2028/U+2029 escaped, so ``.ValuesJSON``/``.RunJSON`` are byte-identical to ACR's."""
    return "".join(_encode(value))


def _encode(value: object) -> list[str]:
    if value is None:
        return ["null"]
    if value is True:
        return ["true"]
    if value is False:
        return ["false"]
    if isinstance(value, int):
        return [str(value)]
    if isinstance(value, float):
        return [_go_float(value)]
    if isinstance(value, str):
        return [_go_string(value)]
    if isinstance(value, Mapping):
        items = sorted((_key_text(k), v) for k, v in value.items())
        out = ["{"]
        for index, (key, item) in enumerate(items):
            if index:
                out.append(",")
            out.append(_go_string(key))
            out.append(":")
            out.extend(_encode(item))
        out.append("}")
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        out = ["["]
        for index, item in enumerate(value):
            if index:
                out.append(",")
            out.extend(_encode(item))
        out.append("]")
        return out
    if isinstance(value, datetime):
        return [_go_string(value.isoformat())]
    if isinstance(value, bytes):
        return [_go_string(value.decode("utf-8", "replace"))]
    return [_go_string(str(value))]


def _key_text(key: object) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return "" if key is None else str(key)


def _go_float(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return _go_string(str(value))  # Go refuses these; a string keeps the run going
    if value == 0:
        return "0"
    magnitude = abs(value)
    if 1e-6 <= magnitude < 1e21:
        text = format(Decimal(repr(value)), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    mantissa, _, exponent = repr(value).partition("e")
    if not exponent:  # repr chose fixed notation; force scientific like Go
        mantissa, _, exponent = f"{value:e}".partition("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
    sign = exponent[0] if exponent[0] in "+-" else "+"
    digits = exponent.lstrip("+-").lstrip("0").rjust(2, "0")
    return f"{mantissa}e{sign}{digits}"


_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _go_string(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch in _JSON_ESCAPES:
            out.append(_JSON_ESCAPES[ch])
        elif ch < " " or ch in "<>&\u2028\u2029":
            out.append(f"\\u{ord(ch):04x}")
        elif 0xD800 <= ord(ch) <= 0xDFFF:
            out.append("\ufffd")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def build_template_data(
    run: RunInfo, values: Mapping[str, Any], secrets: Mapping[str, str]
) -> dict[str, Any]:
    """The root object templates see.

    Differs from ACR in one way only: ACR fails with "failed to serialize Values" when a values file holds
    a nested map (yaml.v2 decodes it into a type ``encoding/json`` rejects); we serialise it instead.
    """
    run_map = run.run_map()
    return {
        "Build": {"ID": run.id},
        "Run": run_map,
        "Values": dict(values),
        "Secrets": dict(secrets),
        "ValuesJSON": shell_quote(go_json(values)),
        "RunJSON": shell_quote(go_json(run_map)),
    }
