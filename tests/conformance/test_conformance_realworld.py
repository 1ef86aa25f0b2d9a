"""Templates the way users write them (Helm-style Go templates + Sprig) compiled end to end. Expected
outputs are Go text/template's and Sprig 2.22's documented behaviour: ``{{-``/``-}}`` trim whitespace
including newlines, ``range`` over a list/map (maps in sorted key order), ``$`` is the root inside
``range``/``with``, ``default`` treats empty values as unset, missing keys render as nothing.
"""

from __future__ import annotations

import json

import pytest
from conformance_helpers import FIXED_NOW, make_run, render

from tasks_engine.compiler import CompileInputs, compile_task
from tasks_engine.errors import DefinitionError
from tasks_engine.plan.model import RunPlan
from tasks_engine.templating import load_values, merge_values, parse_set

VALUES = """\
images:
  - name: web
    dockerfile: web.dockerfile
  - name: api
    dockerfile: api.dockerfile
pushBranches: [main, release]
labels:
  team: platform
  cost-center: "42"
"""

TASK = """\
version: v1.1.0
steps:
{{- range $i, $img := .Values.images }}
  - id: build-{{ $img.name }}
    build: -t {{ $.Run.Registry }}/{{ $img.name }}:{{ $.Run.ID }} -f {{ $img.dockerfile }} .
    when: ["-"]
{{- end }}
{{- if has .Run.Branch .Values.pushBranches }}
  - id: push
    push:
{{- range .Values.images }}
    - {{ printf "%s/%s:%s" $.Run.Registry .name $.Run.ID }}
{{- end }}
    when: [{{ range $i, $img := .Values.images }}{{ if $i }}, {{ end }}"build-{{ $img.name }}"{{ end }}]
{{- end }}
  - id: report
    cmd: >-
      bash echo {{ .Run.Date | substr 0 8 }} {{ default "latest" .Values.channel }}
      {{ index .Values "build.number" }}
    env:
      - LABELS='{{ toJson .Values.labels }}'   # ACR's shell would strip bare JSON quotes; so does the engine
{{- with .Values.extraEnv }}
      - EXTRA={{ . }}
{{- end }}
"""


def compile_plan(branch: str, sets: tuple[str, ...] = ()) -> RunPlan:
    values = merge_values(load_values(VALUES, "values.yaml"), parse_set(sets))
    inputs = CompileInputs(
        text=TASK,
        filename="acb.yaml",
        run=make_run(id="cf7", registry="myreg.azurecr.io", branch=branch),
        values=values,
        image_aliases={"bash": "mcr.microsoft.com/acr/bash:2ff604c"},
    )
    return compile_task(inputs, now=lambda: FIXED_NOW, new_uuid=lambda: "u").plan


def test_range_generates_parallel_build_steps_and_a_joined_push() -> None:
    plan = compile_plan("main", ("build.number=17",))
    by_id = {s.id: s for s in plan.steps}
    assert list(by_id) == ["build-web", "build-api", "push", "report"]
    web = by_id["build-web"].build
    assert web is not None
    assert (web.tags, web.dockerfile) == (["myreg.azurecr.io/web:cf7"], "web.dockerfile")
    assert by_id["build-api"].depends_on == []
    assert by_id["push"].images == ["myreg.azurecr.io/web:cf7", "myreg.azurecr.io/api:cf7"]
    assert by_id["push"].depends_on == ["build-web", "build-api"]
    report = by_id["report"]
    assert report.image == "mcr.microsoft.com/acr/bash:2ff604c"
    assert report.args == ["echo", "20100520", "latest", "17"]
    assert report.depends_on == ["push"]
    assert report.env == ['LABELS={"cost-center":"42","team":"platform"}']


def test_if_removes_the_push_step_and_with_adds_env() -> None:
    plan = compile_plan("feature/x", ("channel=beta", "extraEnv=1"))
    assert [s.id for s in plan.steps] == ["build-web", "build-api", "report"]
    report = plan.steps[-1]
    assert report.depends_on == ["build-api"]  # the previous YAML step
    assert report.args == ["echo", "20100520", "beta"]  # missing "build.number" renders as nothing
    assert report.env[1] == "EXTRA=1"
    assert json.loads(report.env[0].split("=", 1)[1]) == {"team": "platform", "cost-center": "42"}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("a\n{{- /* note */ -}}\nb", "ab"),
        ("x: {{ .Values.n | default 3 }}", "x: 3"),
        ('x: {{ .Values.e | default "d" }}', "x: d"),  # "" is empty, so default applies
        ("{{ range $k, $v := .Values.m }}{{ $k }}={{ $v }};{{ end }}", "a=1;b=2;"),
        ("{{ with .Values.m }}{{ .a }}-{{ $.Run.ID }}{{ end }}", "1-ab1"),
        ("{{ if and .Values.m (not .Values.e) }}yes{{ end }}", "yes"),
        ('{{ .Values.list | join "," | quote }}', '"x,z"'),
        ("{{ len .Values.list }}/{{ last .Values.list }}", "2/z"),
        ('{{ printf "%s:%s" .Run.Registry .Run.ID }}', "myreg.azurecr.io:ab1"),
        ('{{ printf "%s:%s" .Run.Registry .Values.nope }}', "myreg.azurecr.io:%!s(<nil>)"),
        ('{{ .Run.Commit | default "HEAD" | trunc 7 }}', "HEAD"),
        ('{{ regexReplaceAll "[^a-z0-9.-]" (lower "Feature/ABC_1") "-" }}', "feature-abc-1"),
        ("{{ .Values.nope }}|{{ .Run.Nope }}|{{ .Secrets.nope }}", "||"),
        ('{{ index .Values "a.b" }}', "dotted"),
    ],
)
def test_template_idioms(template: str, expected: str) -> None:
    values = "m: {a: 1, b: 2}\ne: ''\nlist: [x, z]\n"
    assert render(template, values_file=values, sets=["a.b=dotted"]) == expected


def test_yaml_v2_booleans_in_values_lists() -> None:
    """yaml.v2 reads a bare ``y``/``n`` as a bool, so ``[x, y]`` in a values file is ``[x true]`` in ACR."""
    assert render('{{ .Values.list | join "," }}', values_file="list: [x, y, n, 'y']") == "x,true,false,y"


def test_alias_inside_range_is_relative_to_dot_as_in_acr() -> None:
    """``$Registry`` becomes ``{{.Run.Registry}}`` before rendering; inside ``range`` the dot is the item,
    so ACR fails with the same error (use ``{{ $.Run.Registry }}`` there). The element of a ``[]interface{}``
    is boxed, hence Go's ``interface {}`` in the message."""
    task = "version: v1.1.0\nsteps:\n{{- range .Values.list }}\n  - cmd: $Registry/{{ . }}\n{{- end }}\n"
    with pytest.raises(DefinitionError, match=r"can't evaluate field Run in type interface \{\}"):
        render(task, values_file="list: [a]")
    with pytest.raises(DefinitionError, match=r"nil pointer evaluating interface \{\}\.Registry"):
        render(task, values_file="list: [{name: a}]")


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ('{{ required "image is required" .Values.image }}', "error calling required: image is required"),
        ('{{ fail "stop here" }}', "error calling fail: stop here"),
        ("{{ .Values.nope.deeper }}", "nil pointer evaluating interface {}.deeper"),
        ("{{ .Values.my-key }}", "bad character U\\+002D '-'"),
        ('{{ include "x" . }}', 'function "include" not defined'),
    ],
)
def test_template_errors(template: str, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        render(template)
