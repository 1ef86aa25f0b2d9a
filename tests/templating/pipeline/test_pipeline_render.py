"""render_task / render_quick_cmd end to end: the spec's worked example (§12), edge cases §8 items 9-13,
error positions in the original file, alias sources."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from pipeline_fixtures import fixed_now, fixed_uuid

from tasks_engine.egress import DEFAULT_POLICY, EgressPolicy, url_fetcher
from tasks_engine.errors import DefinitionError
from tasks_engine.templating.alias_sources import AliasSourceError, default_alias_source_loader
from tasks_engine.templating.aliases import expand_command_alias
from tasks_engine.templating.pipeline import RenderedTask, remove_no_value, render_quick_cmd, render_task
from tasks_engine.templating.rundata import RunInfo
from tasks_engine.templating.values import merge_values, parse_set
from tasks_engine.templating.version import ALIAS_NOTE


def render(
    text: str, run: RunInfo, values: Mapping[str, object] | None = None, **kwargs: Any
) -> RenderedTask:
    return render_task(
        text,
        filename="acb.yaml",
        run=run,
        values=values or {},
        now=fixed_now,
        new_uuid=fixed_uuid,
        **kwargs,
    )


WORKED_EXAMPLE = """\
version: v1.1.0
alias:
  values:
    repo: web
env: ["A=1"]
steps:
  - id: build
    build: -t $Registry/$repo:$ID -f Dockerfile .
  - id: test
    cmd: $Registry/$repo:$ID
    env: ["A=2", "B=3"]
    detach: true
  - cmd: bash echo "$$HOME {{.Run.RegistryName}}"
    when: ["build"]
  - push: ["$Registry/$repo:$ID"]
"""

WORKED_EXAMPLE_RENDERED = """\
version: v1.1.0
env: ["A=1"]
steps:
  - id: build
    build: -t myreg.azurecr.io/web:ab1 -f Dockerfile .
  - id: test
    cmd: myreg.azurecr.io/web:ab1
    env: ["A=2", "B=3"]
    detach: true
  - cmd: bash echo "$HOME myreg"
    when: ["build"]
  - push: ["myreg.azurecr.io/web:ab1"]
"""


def test_worked_example(run: RunInfo) -> None:
    result = render(WORKED_EXAMPLE, run)
    assert result.text == WORKED_EXAMPLE_RENDERED
    assert result.version == "v1.1.0"
    assert result.aliases_enabled
    assert result.aliases["repo"] == "web"
    assert result.notes == [ALIAS_NOTE]
    assert result.original_text == WORKED_EXAMPLE
    assert expand_command_alias('bash echo "$HOME myreg"', result.aliases) == (
        'mcr.microsoft.com/acr/bash:2ff604c echo "$HOME myreg"'
    )


def test_worked_example_locate(run: RunInfo) -> None:
    result = render(WORKED_EXAMPLE, run)
    lines = result.text.split("\n")
    build_line = next(i for i, line in enumerate(lines, 1) if "build: -t" in line)
    col = lines[build_line - 1].index("myreg") + 1
    line, column, exact = result.locate(build_line, col)
    assert line == 8
    assert column == WORKED_EXAMPLE.split("\n")[7].index("$Registry") + 1
    assert not exact
    # plain text keeps its exact position
    assert result.locate(build_line, 5) == (8, 5, True)
    env_line = next(i for i, text in enumerate(lines, 1) if text.startswith("env:"))
    assert result.locate(env_line, 1) == (5, 1, True)


# ------------------------------------------------------------------------------- §8 item 9


def test_comment_lines_inside_block_scalars_are_removed(run: RunInfo) -> None:
    text = (
        "version: v1.0.0\n"
        "steps:\n"
        "  - cmd: |\n"
        "      #!/bin/bash\n"
        "      # a comment {{ not a template\n"
        "      echo hi # trailing stays\n"
        "    # indented comment\n"
    )
    result = render(text, run)
    assert result.text == "version: v1.0.0\nsteps:\n  - cmd: |\n      echo hi # trailing stays\n"


def test_literal_no_value_disappears(run: RunInfo) -> None:
    result = render("steps:\n  - cmd: echo <no value>x{{.Values.nope}}y\n", run)
    assert result.text == "steps:\n  - cmd: echo xy\n"


def test_remove_no_value_map() -> None:
    text = "a<no value>b<no value><no value>c"
    out, source_map = remove_no_value(text)
    assert out == "abc"
    assert source_map.to_source(1) == (text.index("b"), True)
    assert source_map.to_source(2) == (text.index("c"), True)


# ------------------------------------------------------------------------------ §8 item 10


def test_missing_keys_render_empty(run: RunInfo) -> None:
    result = render("a: '{{.Values.nope}}'\nb: '{{.Run.TaskName}}'\n", run)
    assert result.text == "a: ''\nb: ''\n"


def test_field_of_a_missing_key_is_an_execution_error_as_in_go(run: RunInfo) -> None:
    with pytest.raises(DefinitionError) as info:
        render("a: 1\nc: '{{.Values.x.y}}'\n", run)
    problem = info.value.problems[0]
    assert problem.message.startswith("failed to execute template: ")
    assert "nil pointer evaluating interface {}.y" in problem.message
    assert problem.line == 2


def test_parse_error_reports_original_position(run: RunInfo) -> None:
    text = "steps:\n  - cmd: {{ end }}\nfoo: bar\n"
    with pytest.raises(DefinitionError) as info:
        render(text, run)
    problem = info.value.problems[0]
    assert problem.message == "failed to parse template: unexpected {{end}}"
    assert problem.file == "acb.yaml"
    assert problem.line == 2


def test_unclosed_action_is_reported_where_go_reports_it(run: RunInfo) -> None:
    with pytest.raises(DefinitionError) as info:
        render("steps:\n  - cmd: {{ .Values.x \n", run)
    problem = info.value.problems[0]
    assert problem.message.startswith("failed to parse template: unclosed action")
    assert problem.line in (2, 3)  # Go reports the end of the text (older) or where it started (1.22+)


def test_error_line_survives_comments_and_alias_block(run: RunInfo) -> None:
    text = (
        "version: v1.1.0\n"  # 1
        "# a comment\n"  # 2
        "alias:\n"  # 3
        "  values:\n"  # 4
        "    repo: $$web\n"  # 5
        "# another comment\n"  # 6
        "steps: [{{ .Values.x | nosuchfunc }}]\n"  # 7
    )
    with pytest.raises(DefinitionError) as info:
        render(text, run)
    problem = info.value.problems[0]
    assert problem.message.startswith("failed to parse template: ")
    assert "nosuchfunc" in problem.message
    assert problem.line == 7
    assert problem.column >= 9


def test_execution_error_reports_original_position(run: RunInfo) -> None:
    text = (
        "version: v1.1.0\n"  # 1
        "alias:\n"  # 2
        "  values:\n"  # 3
        "    img: $Registry/a\n"  # 4
        "# comment\n"  # 5
        "steps:\n"  # 6
        "  - cmd: $img {{ index .Values.list 5 }}\n"  # 7
    )
    with pytest.raises(DefinitionError) as info:
        render(text, run, {"list": ["a"]})
    problem = info.value.problems[0]
    assert problem.message.startswith("failed to execute template: ")
    assert problem.line == 7
    assert problem.column == text.split("\n")[6].index("index") + 1


def test_empty_and_whitespace_results_are_fine(run: RunInfo) -> None:
    assert render("", run).text == ""
    assert render("# only comments\n# here\n", run).text == ""
    assert render("{{/* nothing */}}\n  \n", run).text.strip() == ""


# ------------------------------------------------------------------------------ §8 item 11


def test_alias_inside_template_action(run: RunInfo) -> None:
    text = "version: v1.1.0\nalias:\n  values:\n    foo: .Values.bar\nx: {{$foo}}\n"
    assert render(text, run, {"bar": "baz"}).text == "version: v1.1.0\nx: baz\n"


def test_alias_block_is_rendered_with_run_data(run: RunInfo) -> None:
    text = "version: v1.1.0\nalias:\n  values:\n    tag: '{{.Run.ID}}-{{.Values.v}}'\nx: $tag\n"
    assert render(text, run, {"v": "1"}).text == "version: v1.1.0\nx: ab1-1\n"


def test_custom_directive_in_pipeline(run: RunInfo) -> None:
    text = "version: v1.1.0\nalias:\n  directive: '&'\nx: &Registry $HOME &&\n"
    assert render(text, run).text == "version: v1.1.0\nx: myreg.azurecr.io $HOME &\n"


def test_bad_alias_key_points_at_its_line(run: RunInfo) -> None:
    text = "version: v1.1.0\n# c\nalias:\n  values:\n    my-key: x\nsteps: []\n"
    with pytest.raises(DefinitionError) as info:
        render(text, run)
    problem = info.value.problems[0]
    assert "alphanumeric" in problem.message
    assert (problem.line, problem.column) == (5, 5)


def test_bad_directive_points_at_the_alias_block(run: RunInfo) -> None:
    text = "version: v1.1.0\nalias:\n  directive: ab\nsteps: []\n"
    with pytest.raises(DefinitionError) as info:
        render(text, run)
    problem = info.value.problems[0]
    assert "single character" in problem.message
    assert problem.line == 3


def test_alias_block_template_error_points_into_the_block(run: RunInfo) -> None:
    text = "version: v1.1.0\nalias:\n  values:\n    a: '{{ .Run.ID '\nsteps: []\n"
    with pytest.raises(DefinitionError) as info:
        render(text, run)
    assert info.value.problems[0].line == 4


def test_regex_alias_value_with_dollar(run: RunInfo) -> None:
    text = "version: v1.1.0\nalias:\n  values:\n    f: '^v[0-9]+$'\ncmd: acr purge --filter 'r:$f'\n"
    assert render(text, run).text == "version: v1.1.0\ncmd: acr purge --filter 'r:^v[0-9]+$'\n"


# ------------------------------------------------------------------------------ §8 item 12


@pytest.mark.parametrize(("version", "enabled"), [("v1.0.0", False), ("v1.1.0", True), ("V1.1.0", False)])
def test_alias_processing_depends_on_version(run: RunInfo, version: str, enabled: bool) -> None:
    text = f"version: {version}\nsteps:\n  - cmd: bash echo $ID\n"
    result = render(text, run)
    assert result.aliases_enabled is enabled
    if enabled:
        assert result.text.endswith("cmd: bash echo ab1\n")
        assert expand_command_alias("bash echo ab1", result.aliases).startswith("mcr.microsoft.com/acr/bash:")
        assert result.notes == [ALIAS_NOTE]
    else:
        assert result.text.endswith("cmd: bash echo $ID\n")
        assert result.aliases == {}
        assert result.notes == []


def test_user_alias_expands_command(run: RunInfo) -> None:
    text = "version: v1.1.0\nalias:\n  values:\n    purge: acr purge\nsteps:\n  - cmd: '  purge --x'\n"
    result = render(text, run)
    assert expand_command_alias("  purge --x", result.aliases) == "acr purge --x"


def test_image_alias_override(run: RunInfo) -> None:
    result = render("version: v1.1.0\nx: $bash\n", run, image_aliases={"bash": "localhost:5000/bash:1"})
    assert result.text == "version: v1.1.0\nx: localhost:5000/bash:1\n"


# ------------------------------------------------------------------------------ §8 item 13


def test_set_values_in_templates(run: RunInfo) -> None:
    values = merge_values({"t": 300, "img": {"name": "x"}}, parse_set(["a.b=1", "x=", "t=600"]))
    text = (
        "a: '{{index .Values \"a.b\"}}'\nx: '{{.Values.x}}'\n"
        "timeout: {{.Values.t}}\nn: {{.Values.img.name}}\n"
    )
    assert render(text, run, values).text == "a: '1'\nx: ''\ntimeout: 600\nn: x\n"


def test_values_and_run_json(run: RunInfo) -> None:
    result = render("v: {{.ValuesJSON}}\nb: {{.Build.ID}}\n", run, {"k": "v"})
    assert result.text == "v: '{\"k\":\"v\"}'\nb: ab1\n"


def test_secrets_are_exposed(run: RunInfo) -> None:
    assert render("s: {{.Secrets.pw}}\n", run, secrets={"pw": "hunter2"}).text == "s: hunter2\n"


def test_sprig_functions_are_available(run: RunInfo) -> None:
    result = render("a: {{ .Run.ID | upper }}\nb: {{ 5 | add 10 }}\n", run)
    assert result.text == "a: AB1\nb: 15\n"


# ------------------------------------------------------------------------------ alias sources


def test_local_alias_source(tmp_path: Path, run: RunInfo) -> None:
    (tmp_path / "aliases.yaml").write_text("repo: fromfile\n")
    text = "version: v1.1.0\nalias:\n  src: [./aliases.yaml]\nx: $repo\n"
    result = render(text, run, load_alias_source=default_alias_source_loader(tmp_path))
    assert result.text == "version: v1.1.0\nx: fromfile\n"


def test_local_alias_source_outside_context_is_refused(tmp_path: Path, run: RunInfo) -> None:
    context = tmp_path / "ctx"
    context.mkdir()
    (tmp_path / "secret.yaml").write_text("a: b\n")
    text = "version: v1.1.0\nalias:\n  src:\n    - ../secret.yaml\nx: $a\n"
    with pytest.raises(DefinitionError) as info:
        render(text, run, load_alias_source=default_alias_source_loader(context))
    problem = info.value.problems[0]
    assert "outside the source context" in problem.message
    assert (problem.line, problem.column) == (4, 7)


def test_missing_local_alias_source(tmp_path: Path) -> None:
    with pytest.raises(AliasSourceError, match="failed to read alias source"):
        default_alias_source_loader(tmp_path)("nope.yaml")
    with pytest.raises(AliasSourceError, match="no source context"):
        default_alias_source_loader(None)("nope.yaml")


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/ok.yaml":
            body, status = b"remote: yes-remote\n", 200
        else:
            body, status = b"blob not found", 404
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture
def http_base() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _remote_loader(policy: EgressPolicy = DEFAULT_POLICY) -> Any:
    return default_alias_source_loader(None, fetch_url=url_fetcher(policy, timeout=2.0, max_bytes=1 << 20))


def test_remote_alias_source(http_base: str, run: RunInfo) -> None:
    text = f"version: v1.1.0\nalias:\n  src: ['{http_base}/ok.yaml']\nx: $remote\n"
    result = render(text, run, load_alias_source=_remote_loader())
    assert result.text == "version: v1.1.0\nx: yes-remote\n"


def test_remote_alias_source_error_carries_body(http_base: str) -> None:
    with pytest.raises(AliasSourceError, match="HTTP 404: blob not found"):
        _remote_loader()(f"{http_base}/missing.yaml")


def test_remote_alias_source_needs_a_fetcher(http_base: str) -> None:
    with pytest.raises(AliasSourceError, match="remote sources are not enabled"):
        default_alias_source_loader(None)(f"{http_base}/ok.yaml")


@pytest.mark.parametrize(
    ("url", "policy", "needle"),
    [
        ("http://169.254.169.254/latest/meta-data/iam", DEFAULT_POLICY, "link-local/cloud-metadata"),
        ("http://metadata.google.internal/computeMetadata/v1/", DEFAULT_POLICY, "cloud metadata host"),
        ("http://localhost:1/aliases.yaml", EgressPolicy(allow_loopback=False), "allowLoopback is false"),
    ],
)
def test_remote_alias_source_egress_refusals(url: str, policy: EgressPolicy, needle: str, run: RunInfo) -> None:
    """The egress policy refuses before any connection; the error points at the src entry."""
    text = f"version: v1.1.0\nalias:\n  src: ['{url}']\nx: $remote\n"
    with pytest.raises(DefinitionError, match=needle) as info:
        render(text, run, load_alias_source=_remote_loader(policy))
    assert info.value.problems[0].line == 3


# ------------------------------------------------------------------------------------- quick run


def test_quick_cmd_uses_aliases_without_templating_the_command(run: RunInfo) -> None:
    result = render_quick_cmd(
        "$Registry/samples/hello-world:v1 {{.Run.ID}} $$x", run=run, now=fixed_now, new_uuid=fixed_uuid
    )
    assert result.text == "steps: \n  - cmd: myreg.azurecr.io/samples/hello-world:v1 {{.Run.ID}} $x\n"
    assert result.aliases_enabled
    assert result.notes == [ALIAS_NOTE]
    assert expand_command_alias("bash echo", result.aliases).startswith("mcr.microsoft.com/acr/bash:")


def test_quick_cmd_with_timeout(run: RunInfo) -> None:
    result = render_quick_cmd("bash echo hi", run=run, timeout=90, now=fixed_now, new_uuid=fixed_uuid)
    assert result.text == "steps: \n  - cmd: bash echo hi\n    timeout: 90\n"


def test_quick_cmd_must_be_a_yaml_scalar(run: RunInfo) -> None:
    with pytest.raises(DefinitionError, match="--cmd"):
        render_quick_cmd("'quoted' rest", run=run, now=fixed_now, new_uuid=fixed_uuid)


# ------------------------------------------------------------------------------------ public API


def test_public_api_reexports() -> None:
    import tasks_engine.templating as templating

    for name in templating.__all__:
        assert getattr(templating, name) is not None
    assert templating.render_task is render_task
    with pytest.raises(AttributeError):
        _ = templating.no_such_name


def test_crlf_file_positions(run: RunInfo) -> None:
    text = "version: v1.1.0\r\n# c\r\nalias:\r\n  values:\r\n    a: x\r\nsteps:\r\n  - cmd: {{ end }}\r\n"
    with pytest.raises(DefinitionError) as info:
        render(text, run)
    assert info.value.problems[0].line == 7


def test_alias_source_errors_point_at_the_src_entry(run: RunInfo) -> None:
    text = "version: v1.1.0\nalias:\n  src:\n    - ok.yaml\n    - broken.yaml\nsteps: []\n"
    files = {"ok.yaml": "a: b\n", "broken.yaml": "- not\n- a map\n"}
    with pytest.raises(DefinitionError) as info:
        render(text, run, load_alias_source=files.__getitem__)
    problem = info.value.problems[0]
    assert "alias source broken.yaml" in problem.message
    assert problem.line == 5

    def missing(name: str) -> str:
        raise AliasSourceError(f"failed to read alias source {name!r}")

    with pytest.raises(DefinitionError) as info:
        render(text, run, load_alias_source=missing)
    assert info.value.problems[0].line == 5
    assert "failed to read alias source 'broken.yaml'" in info.value.problems[0].message


def test_version_below_a_leading_template_action_turns_aliases_on(run: RunInfo) -> None:
    """A real file shape: a template action first, ``version: v1.1.0`` under it (acr-builder #687 scans every
    line), so ``$Registry`` and command aliases expand as on ACR."""
    text = (
        "{{ $tag := .Run.ID }}\n"
        "version: v1.1.0\n"
        "steps:\n"
        "  - build: -t $Registry/hello:{{ $tag }} .\n"
        "  - cmd: bash echo done\n"
    )
    result = render(text, run)
    assert result.aliases_enabled
    assert result.version == "v1.1.0"
    assert "-t myreg.azurecr.io/hello:ab1 ." in result.text
