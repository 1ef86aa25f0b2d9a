"""Property tests: any task text either renders or fails with DefinitionError — never another exception —
and every position of a rendered text maps back into the original file."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pipeline_fixtures import FIXED_NOW, fixed_now, fixed_uuid

from tasks_engine.errors import DefinitionError
from tasks_engine.templating.alias_sources import AliasSourceError
from tasks_engine.templating.pipeline import RenderedTask, render_quick_cmd, render_task
from tasks_engine.templating.rundata import RunInfo

RUN = RunInfo(id="ab1", registry="myreg.azurecr.io", date=FIXED_NOW)

FRAGMENTS = [
    "version: v1.1.0\n",
    "version: v1.0.0\n",
    "alias:\n",
    "  values:\n",
    "    repo: web\n",
    "    bad-key: x\n",
    "  src: [a.yaml]\n",
    "  directive: '&'\n",
    "  directive: ab\n",
    "steps:\n",
    "  - cmd: ",
    "  - build: -t $Registry/$repo:$ID .\n",
    "# comment\n",
    "  # indented comment\n",
    "{{",
    "}}",
    "{{ .Values.x }}",
    "{{ .Run.ID | upper }}",
    "{{ index .Values.l 3 }}",
    "{{ if .Values.x }}y{{ end }}",
    "{{- ",
    " -}}",
    "$$",
    "$",
    "&",
    "$ID",
    "$unknown$ID",
    "<no value>",
    "\n",
    " ",
    ":",
    "- ",
    "'",
    '"',
    "|\n",
    "🐳",
    "\r\n",
]

texts = st.one_of(
    st.lists(st.sampled_from(FRAGMENTS), max_size=25).map("".join),
    st.text(max_size=200),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=5)), max_size=20).map("".join),
)


def failing_loader(name: str) -> str:
    if name == "a.yaml":
        return "x: from-src\n"
    raise AliasSourceError(f"no such source {name!r}")


def check_locate(result: RenderedTask) -> None:
    lines = result.text.split("\n")
    for number, line in enumerate(lines, 1):
        for column in (1, len(line) + 1):
            line_no, col, _ = result.locate(number, column)
            assert line_no >= 1
            assert col >= 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    texts,
    st.dictionaries(
        st.sampled_from(["x", "l", "repo"]),
        st.one_of(st.text(max_size=5), st.lists(st.integers(), max_size=3)),
        max_size=3,
    ),
)
def test_render_task_never_crashes(text: str, values: dict[str, object]) -> None:
    try:
        result = render_task(
            text,
            filename="fuzz.yaml",
            run=RUN,
            values=values,
            load_alias_source=failing_loader,
            now=fixed_now,
            new_uuid=fixed_uuid,
        )
    except DefinitionError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.file == "fuzz.yaml"
            assert problem.message
            assert problem.line <= text.count("\n") + 1
        return
    assert isinstance(result.text, str)
    check_locate(result)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_render_quick_cmd_never_crashes(cmd: str) -> None:
    try:
        result = render_quick_cmd(cmd, run=RUN, now=fixed_now, new_uuid=fixed_uuid)
    except DefinitionError as exc:
        assert exc.problems
        return
    assert result.text.startswith("steps: \n  - cmd: ")


def test_fixed_clock_is_aware() -> None:
    assert fixed_now().tzinfo is UTC
    assert isinstance(fixed_now(), datetime)
