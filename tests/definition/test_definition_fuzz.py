"""Property-based: any text (random or a mutated valid file) gives a DefinitionResult, never an exception."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tasks_engine.definition import DefinitionResult, TaskDefinition, load_definition
from tasks_engine.errors import Severity

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "task_schemas" / "examples").glob("*/*.yaml"))
TEXTS = [path.read_text(encoding="utf-8") for path in EXAMPLES]

TOKENS = [
    *"abc019 -:_[]{},'\"\n\t#&*!|>%@`~?.=$\\/",
    "\u00a0",
    "é",
    "<<",
    "- ",
    ": ",
    "steps:",
    "\n  - ",
    "cmd",
    "when",
    "id",
    "env",
    "volumes",
    "secret",
    "name",
    "yes",
    "~",
    "!!int",
    "&a",
    "*a",
]
YAMLISH = st.lists(st.sampled_from(TOKENS), max_size=80).map("".join)


def _check(result: DefinitionResult) -> None:
    assert isinstance(result, DefinitionResult)
    has_error = any(p.severity is Severity.ERROR for p in result.problems)
    assert (result.definition is None) == has_error
    if result.definition is not None:
        assert isinstance(result.definition, TaskDefinition)
        for step in result.definition.steps:
            assert step.effective_id
    for problem in result.problems:
        assert problem.message and "\n" not in problem.message
        assert problem.line >= 0 and problem.column >= 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(YAMLISH)
def test_random_yamlish_text(text: str) -> None:
    _check(load_definition(text))


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_random_unicode_text(text: str) -> None:
    _check(load_definition(text, strict=True))


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(TEXTS))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        kind = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "line-delete", "line-dup", "line-swap"]))
        if kind.startswith("line"):
            lines = text.split("\n")
            i = draw(st.integers(min_value=0, max_value=max(len(lines) - 1, 0)))
            j = draw(st.integers(min_value=0, max_value=max(len(lines) - 1, 0)))
            if kind == "line-delete":
                del lines[i]
            elif kind == "line-dup":
                lines.insert(i, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
            continue
        if not text:
            break
        i = draw(st.integers(min_value=0, max_value=len(text) - 1))
        j = draw(st.integers(min_value=0, max_value=len(text) - 1))
        if kind == "delete":
            text = text[:i] + text[i + 1 :]
        elif kind == "duplicate":
            text = text[:i] + text[i] + text[i:]
        elif kind == "swap":
            chars = list(text)
            chars[i], chars[j] = chars[j], chars[i]
            text = "".join(chars)
        else:
            text = text[:i] + draw(st.sampled_from([*":-[]{}'\"\t#&*!|>~ \n", "\u00a0", "<<: *x"])) + text[i:]
    return text


@settings(max_examples=400, deadline=None)
@given(mutated())
def test_mutated_valid_files(text: str) -> None:
    def locate(line: int, column: int) -> tuple[int, int, bool]:
        return line, column, line % 2 == 0

    _check(load_definition(text, filename="m.yaml", locate=locate))


def test_anchor_bomb_is_bounded() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
    for level in "bcdefgh":
        prev = chr(ord(level) - 1)
        bomb += f"{level}: &{level} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
    bomb += "alias: {values: {k: *h}}\nsteps:\n  - cmd: x\n    env: *h\n    push: *h\n"
    _check(load_definition(bomb))
