"""Sprig 2.22's ``semver`` and ``semverCompare``, with the rules of the library it uses
(Masterminds/semver v1.5.0): loose versions (``v1``, ``1.2`` -> 1.2.0), constraints with ``,`` (and),
``||`` (or), ``a - b`` ranges, ``x``/``*`` wildcards, ``~`` and ``^``, and pre-releases excluded unless the
constraint names one. Task files use it to gate steps on a version value (``semverCompare ">=2.0" ...``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from ._sig import FuncTable, go_func

_VERSION_RE = re.compile(
    r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$"
)
_CV = (
    r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
)
# Longest operators first: Go's regexp would backtrack to the same match (the pattern is anchored).
_OPS = ("!=", ">=", "=>", "<=", "=<", "~>", "=", ">", "<", "~", "^", "")
_CONSTRAINT_RE = re.compile(r"^\s*(" + "|".join(re.escape(op) for op in _OPS) + r")\s*(" + _CV + r")\s*$")
_RANGE_RE = re.compile(r"\s*(" + _CV + r")\s+-\s+(" + _CV + r")\s*")
_INT64_MAX = 2**63 - 1


class Version:
    """``*semver.Version``: prints as ``major.minor.patch[-pre][+meta]``; its methods are callable from
    templates (``{{ (semver "1.2.3").Major }}``)."""

    GO_TYPE = "*semver.Version"

    def __init__(self, original: str) -> None:
        m = _VERSION_RE.match(original)
        if m is None:
            raise ValueError("Invalid Semantic Version")
        parts = [int(m.group(1)), int((m.group(2) or ".0")[1:]), int((m.group(3) or ".0")[1:])]
        if any(p > _INT64_MAX for p in parts):
            raise ValueError(f'Error parsing version segment: strconv.ParseInt: parsing "{parts}": value out of range')
        self.major, self.minor, self.patch = parts
        self.pre = m.group(5) or ""
        self.metadata = m.group(8) or ""
        self.original = original

    def go_string(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.pre:
            text += "-" + self.pre
        if self.metadata:
            text += "+" + self.metadata
        return text

    def compare(self, other: Version) -> int:
        for a, b in ((self.major, other.major), (self.minor, other.minor), (self.patch, other.patch)):
            if a != b:
                return 1 if a > b else -1
        if self.pre == other.pre == "":
            return 0
        if self.pre == "":
            return 1
        if other.pre == "":
            return -1
        return _compare_prerelease(self.pre, other.pre)

    def go_methods(self) -> Mapping[str, Callable[..., object]]:
        def less_than(o: Version) -> bool:
            return self.compare(o) < 0

        def greater_than(o: Version) -> bool:
            return self.compare(o) > 0

        def equal(o: Version) -> bool:
            return self.compare(o) == 0

        def compare(o: Version) -> int:
            return self.compare(o)

        return {
            "Major": lambda: self.major,
            "Minor": lambda: self.minor,
            "Patch": lambda: self.patch,
            "Prerelease": lambda: self.pre,
            "Metadata": lambda: self.metadata,
            "Original": lambda: self.original,
            "String": self.go_string,
            "LessThan": less_than,
            "GreaterThan": greater_than,
            "Equal": equal,
            "Compare": compare,
        }


def _compare_prerelease(a: str, b: str) -> int:
    sparts, oparts = a.split("."), b.split(".")
    for i in range(max(len(sparts), len(oparts))):
        s = sparts[i] if i < len(sparts) else ""
        o = oparts[i] if i < len(oparts) else ""
        d = _compare_pre_part(s, o)
        if d:
            return d
    return 0


def _as_int(text: str) -> int | None:
    """Go ``strconv.ParseInt(text, 10, 64)``."""
    body = text[1:] if text[:1] in "+-" else text
    if not body.isascii() or not body.isdigit():
        return None
    value = int(text)
    return value if -(2**63) <= value <= _INT64_MAX else None


def _compare_pre_part(s: str, o: str) -> int:
    if s == o:
        return 0
    if s == "":
        return -1
    if o == "":
        return 1
    si, oi = _as_int(s), _as_int(o)
    if si is None and oi is None:
        return 1 if s > o else -1
    if oi is None:
        return -1  # numbers sort before identifiers
    if si is None:
        return 1
    return 1 if si > oi else -1


def _is_x(text: str) -> bool:
    return text in ("x", "*", "X")


class _Constraint:
    def __init__(self, text: str) -> None:
        m = _CONSTRAINT_RE.match(text)
        if m is None:
            raise ValueError(f"improper constraint: {text}")
        ver = m.group(2)
        self.minor_dirty = self.dirty = False
        major, minor, patch, pre = m.group(3), m.group(4) or "", m.group(5) or "", m.group(6) or ""
        if _is_x(major):
            ver, self.dirty = "0.0.0", True
        elif _is_x(minor.removeprefix(".")):
            ver, self.dirty, self.minor_dirty = f"{major}.0.0{pre}", True, True
        elif _is_x(patch.removeprefix(".")):
            ver, self.dirty = f"{major}{minor}.0{pre}", True
        try:
            self.con = Version(ver)
        except ValueError:
            raise ValueError("constraint Parser Error") from None
        self.op = m.group(1)

    def check(self, v: Version) -> bool:
        c = self.con
        op = self.op
        skip_pre = v.pre != "" and c.pre == ""
        if op in (">", ">=", "=>") and not _non_zero(c) and _non_zero(v):
            return True
        if op == "!=":
            if not self.dirty:
                return v.compare(c) != 0
            if skip_pre:
                return False
            return c.major != v.major or (c.minor != v.minor and not self.minor_dirty)
        if skip_pre:
            return False
        if op == ">":
            return v.compare(c) == 1
        if op in (">=", "=>"):
            return v.compare(c) >= 0
        if op in ("<", "<=", "=<"):
            if not self.dirty:
                return v.compare(c) < 0 if op == "<" else v.compare(c) <= 0
            return not (v.major > c.major or (v.minor > c.minor and not self.minor_dirty))
        if op in ("", "=") and not self.dirty:
            return v.compare(c) == 0
        if op == "^":
            return v.compare(c) >= 0 and v.major == c.major
        # "~", "~>", and "="/"" with a wildcard
        if v.compare(c) < 0:
            return False
        if c.major == c.minor == c.patch == 0:
            return True
        return v.major == c.major and (v.minor == c.minor or self.minor_dirty)


def _non_zero(v: Version) -> bool:
    return bool(v.major or v.minor or v.patch or v.pre)


def _rewrite_range(text: str) -> str:
    out = text
    for m in _RANGE_RE.finditer(text):
        out = out.replace(m.group(0), f">= {m.group(1)}, <= {m.group(11)}", 1)
    return out


def semver_compare(constraint: str, version: str) -> bool:
    groups = [
        [_Constraint(part) for part in alternative.split(",")] for alternative in _rewrite_range(constraint).split("||")
    ]
    v = Version(version)
    return any(all(c.check(v) for c in group) for group in groups)


def semver_functions() -> FuncTable:
    return {
        "semver": go_func("semver", Version, ("string",)),
        "semverCompare": go_func("semverCompare", semver_compare, ("string", "string")),
    }
