"""Where a service command's answer goes: ``-o json`` prints the server's JSON, otherwise an az-style table.

Both pass the command line's masker: a record can quote a value built from a secret (an image tag made of a
``--set-secret`` value, a context URL with a token in it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tasks_engine.cli.tables import Json, Row, table_of
from tasks_engine.runtime.masking import SecretMasker


def print_json(data: Any, masker: SecretMasker) -> None:
    print(json.dumps(masker.mask_data(data), indent=2))


def emit(data: Mapping[str, Any] | Sequence[Mapping[str, Any]], *, output: str, row: Callable[[Json], Row],
         columns: Sequence[str], masker: SecretMasker) -> None:
    if output == "json":
        print_json(data, masker)
        return
    items = [data] if isinstance(data, Mapping) else list(data)
    print(masker.mask(table_of(items, row, columns)))
