"""Property tests: arbitrary input either renders or fails with TemplateError, never anything else."""

from __future__ import annotations

import contextlib
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from tasks_engine.templating.gotemplate import TemplateError, parse, render

FRAGMENTS = [
    "{{", "}}", "{{-", "-}}", "{{- ", " -}}", "-", " ", "\n", "\t", ".", ".a", ".b", ".a.b", "$", "$x", "$x :=",
    ":=", "=", ",", "(", ")", "|", '"', "`", "'", "1", "1.5", "0x1", "-2", "a", "end", "if", "else", "range",
    "with", "define", "template", "block", "break", "continue", "nil", "true", "len", "index", "printf",
    '"%d"', "eq", "and", "or", "not", "/*", "*/", "{{/*", "*/}}", "f", "x", "é", "\\", "#", "@",
]

DATA = {"a": {"b": [1, "two", None]}, "b": [], "x": 3}
FUNCS = {"f": lambda *args: len(args)}


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=25))
def test_fragments_render_or_raise_template_error(parts: list[str]) -> None:
    text = "".join(parts)
    try:
        res = render(text, DATA, funcs=FUNCS)
    except TemplateError as e:
        assert e.kind in ("parse", "exec")
        assert e.line >= 1 and e.column >= 1
        assert str(e).startswith("template: task:")
        return
    assert isinstance(res.text, str)
    m = res.source_map
    for i in range(len(res.text) + 1):
        src, _exact = m.to_source(i)
        assert 0 <= src <= len(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_never_crashes(text: str) -> None:
    with contextlib.suppress(TemplateError):
        render(text, DATA, funcs=FUNCS)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200).filter(lambda s: "{{" not in s))
def test_plain_text_renders_identically_with_identity_map(text: str) -> None:
    res = render(text, {})
    assert res.text == text
    for i in range(len(text) + 1):
        assert res.source_map.to_source(i) == (i, bool(text))


def test_two_thousand_line_task_renders_fast() -> None:
    lines = []
    for i in range(2000):
        if i % 4 == 0:
            lines.append(f"  - id: step{i}\n    cmd: {{{{ .Run.Registry }}}}/img:{{{{ .Values.tag | printf \"%s\" }}}}")
        else:
            lines.append(f"    env: [\"N={i}\"]  # some plain text")
    text = "\n".join(lines)
    data = {"Run": {"Registry": "r.azurecr.io"}, "Values": {"tag": "v1"}}
    start = time.perf_counter()
    res = parse(text).execute(data)
    elapsed = time.perf_counter() - start
    assert "r.azurecr.io/img:v1" in res.text
    assert elapsed < 0.5  # typically ~30 ms; generous bound for loaded CI machines
