"""Sprig v2.22 template functions (as vendored by Azure/acr-builder) for the Go template engine.

Every function is a plain callable taking Go-ordered arguments, with the pipeline value last
(``{{ .bar | sub .foo }}`` calls ``sub(foo, bar)``). Bad arguments raise TypeError/ValueError with Go-like
messages; the engine turns those into "error calling NAME: ..." template errors.

The clock, the environment, UUIDs and the "Local" time zone are injected so rendering stays pure and testable.
Deliberate additions beyond Sprig v2.22 (task authors reach for them): ``get``, ``fromJson``, ``seq``
(Sprig 3), ``toYaml`` and ``required`` (Helm). ``b64enc`` is ACR's override, quirk included.
Not provided (a template using them fails with "function ... not defined"): the crypto functions
(``genPrivateKey``, ``genCA``, ``derivePassword``, ``encryptAES``...), ``getHostByName`` (network),
``urlParse``/``urlJoin``.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, tzinfo

from ._core import GoTime
from ._sig import FuncTable
from .convert import convert_functions
from .dates import date_functions, parse_go_duration
from .dicts import dict_functions
from .encoding import encoding_functions
from .golayout import format_go_time, parse_go_time
from .lists import list_functions
from .misc import misc_functions
from .numeric import numeric_functions
from .rand import rand_functions
from .regex import regex_functions, translate_re2
from .semver import semver_functions
from .strings import string_functions

__all__ = [
    "GoTime",
    "format_go_time",
    "parse_go_duration",
    "parse_go_time",
    "sprig_functions",
    "translate_re2",
]


@functools.cache
def _static_functions() -> FuncTable:
    """The functions that depend on nothing injected, built once per process: every render of every task
    (a service submit's pre-check included) needs the whole table, and building it was ~1 ms each time."""
    table: FuncTable = {}
    for part in (string_functions, list_functions, dict_functions, numeric_functions, encoding_functions,
                 convert_functions, regex_functions, semver_functions):
        table.update(part())
    return table


def sprig_functions(
    *,
    now: Callable[[], datetime],
    environ: Mapping[str, str],
    new_uuid: Callable[[], str],
    local_tz: tzinfo = UTC,
    rng: random.Random | None = None,
) -> dict[str, Callable[..., object]]:
    """The Sprig function map: name -> callable. ``now`` should return an aware datetime; ``rng`` feeds
    ``randAlphaNum`` & co. (default: the system's secure source)."""
    table: FuncTable = dict(_static_functions())
    table.update(date_functions(now, local_tz))
    table.update(misc_functions(environ, new_uuid))
    table.update(rand_functions(rng if rng is not None else random.SystemRandom()))
    return table
