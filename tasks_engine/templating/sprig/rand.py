"""Sprig 2.22's random strings (``randAlphaNum``, ``randAlpha``, ``randNumeric``, ``randAscii``) and
``shuffle``. The random source is injected (tests pass a seeded ``random.Random``); the default is the
system's secure source, as Sprig uses crypto/rand for these.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable

from ._sig import FuncTable, GoType, go_func

_ALNUM = string.ascii_letters + string.digits
_ASCII = "".join(chr(c) for c in range(32, 127))


def rand_functions(rng: random.Random) -> FuncTable:
    def pick(alphabet: str) -> Callable[[int], str]:
        def generate(count: int) -> str:
            # goutils returns an error for a negative count, which Sprig drops: the result is "".
            if count <= 0:
                return ""
            if count > 1_000_000:
                raise ValueError(f"random string of {count} characters is too long")
            return "".join(rng.choice(alphabet) for _ in range(count))

        return generate

    def shuffle(text: str) -> str:
        runes = list(text)
        rng.shuffle(runes)
        return "".join(runes)

    i1: tuple[GoType, ...] = ("int",)
    return {
        "randAlphaNum": go_func("randAlphaNum", pick(_ALNUM), i1),
        "randAlpha": go_func("randAlpha", pick(string.ascii_letters), i1),
        "randNumeric": go_func("randNumeric", pick(string.digits), i1),
        "randAscii": go_func("randAscii", pick(_ASCII), i1),
        "shuffle": go_func("shuffle", shuffle, ("string",)),
    }
