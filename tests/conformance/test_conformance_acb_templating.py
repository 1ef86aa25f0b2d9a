"""acr-builder's own templating tests and test data (Azure/acr-builder ``templating/*_test.go`` and
``templating/testdata``, MIT licence), ported as far as they concern task files (the TOML-era job API is
gone). Each expected string is the one in the Go test.
"""

from __future__ import annotations

import pytest
from conformance_helpers import make_run, render

from tasks_engine.errors import UsageError
from tasks_engine.templating import parse_set

# acr-builder templating/testdata/caching/cache.yaml and values.yaml (MIT)
CACHE_YAML = """\
steps:
  - id: "{{.Values.pullStep}}"
    cmd: docker pull golang:1.10.1-stretch

  - id: build-foo
    cmd: build -f Dockerfile https://github.com/Azure/acr-builder.git --cache-from=ubuntu

  - id: build-bar
    cmd: build -f Dockerfile https://github.com/Azure/acr-builder.git --cache-from=ubuntu
    when: ["{{.Values.pullStep}}"]"""
CACHE_VALUES = "pullStep: puller"

# acr-builder templating/testdata/curie/values.yaml (MIT)
CURIE_VALUES = """\
born: 1867
first: Marie
last: Curie
research: radioactivity
from: Poland

awards:
  - id: Nobel Prize in Physics

  - id: Davy Medal

  - id: Albert Medal
"""

# acr-builder templating/testdata/thames/thames.yaml and values.yaml (MIT), Run.* form of load_test.go
THAMES_YAML = """\
apiName: "{{.Values.apiName}}"

metadata:
  - buildId: "{{.Run.ID | upper}}"
    commit: "{{.Run.Commit | lower}}"
    tag: "{{.Run.Tag}}"
    repository: "{{.Run.Repository}}"
    branch: "{{.Run.Branch}}"
    triggeredBy: "{{.Run.TriggeredBy}}\""""
THAMES_VALUES = """\
# Default values for the Thames job
name: Thames
country: England
counties: [Gloucestershire, Wiltshire, Oxfordshire, Berkshire, Buckinghamshire, Surrey]
length: 346
elevation: 0
apiName: v1"""


def test_load_and_render_steps_cache_yaml() -> None:
    """TestLoadAndRenderSteps: the values file fills the step id and the ``when`` reference."""
    expected = CACHE_YAML.replace("{{.Values.pullStep}}", "puller")
    assert render(CACHE_YAML, values_file=CACHE_VALUES) == expected


def test_load_and_render_steps_empty_file() -> None:
    assert render("") == ""


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{.Values.born}}", "1867"),
        ("{{.Values.first}}", "Marie"),
        ("{{ .Values.last }}", "Curie"),
        ("{{.Values.research}}", "radioactivity"),
        ("{{.Values.from}}", "Poland"),
        ("{{.Values.awards }}", "[map[id:Nobel Prize in Physics] map[id:Davy Medal] map[id:Albert Medal]]"),
    ],
)
def test_override_values_curie(template: str, expected: str) -> None:
    """TestOverrideValues: scalars, and a list of maps printed with Go's ``%v``."""
    assert render(template, values_file=CURIE_VALUES) == expected


def test_override_values_with_build_info() -> None:
    """TestOverrideValuesWithBuildInfo: every run variable next to the values."""
    run = make_run(
        id="SomeID",
        commit="Some Commit",
        repository="some RePo",
        branch="br",
        triggered_by="triggered from someone cool!!1",
        registry="foo.azurecr.io",
        git_tag="some git tag",
        shared_volume="acb_home_vol_12345",
        os="linux",
    )
    template = (
        "{{.Build.ID}}|{{.Run.ID}}|{{.Run.Commit}}|{{ .Run.Repository}}|{{.Run.Branch}}|"
        "{{.Run.TriggeredBy}}|{{.Run.Registry}}|{{.Run.GitTag}}|{{.Run.Date}}|{{.Run.SharedVolume}}|"
        "{{.Run.OS}}|{{.Values.born}}|{{.Values.first}}"
    )
    assert render(template, values_file=CURIE_VALUES, run=run) == (
        "SomeID|SomeID|Some Commit|some RePo|br|triggered from someone cool!!1|foo.azurecr.io|"
        "some git tag|20100520-131422z|acb_home_vol_12345|linux|1867|Marie"
    )


def test_set_overrides_values_file_at_top_level() -> None:
    """OverrideValues(valuesFile, set): a ``--set`` value wins; other file keys survive."""
    assert render("{{.Values.first}} {{.Values.last}}", values_file=CURIE_VALUES, sets=["first=Pierre"]) == (
        "Pierre Curie"
    )


def test_fruits_nested_maps_and_list_length() -> None:
    """TestDeserialize / matchFruits (testdata/fruits.yaml)."""
    fruits = (
        "title: A grocery list\nfruits: [banana, apple, pear]\nfruit:\n  fruit:\n    nested: star\n    fruit: nested\n"
    )
    template = "{{.Values.title}}|{{len .Values.fruits}}|{{.Values.fruit.fruit.nested}}"
    assert render(template, values_file=fruits) == "A grocery list|3|star"


def test_thames_upper_lower_on_run_vars_and_unknown_run_key() -> None:
    """Sprig ``upper``/``lower`` on run variables; ``.Run.Tag`` does not exist and renders empty."""
    run = make_run(id="ab1x", commit="DEADBEEF")
    out = render(THAMES_YAML, values_file=THAMES_VALUES, run=run)
    assert out.splitlines()[0] == 'apiName: "v1"'
    assert '  - buildId: "AB1X"' in out
    assert '    commit: "deadbeef"' in out
    assert '    tag: ""' in out


def test_job_template_upper_lower() -> None:
    """engine_test.go makeTestJob: ``{{ .jobName | upper }} - {{ .description | lower }}``."""
    out = render(
        "{{ .Values.jobName | upper }} - {{ .Values.description | lower }}",
        values_file='jobName: "fruitjob"\ndescription: "this should get overridden"',
        sets=["description=THIS IS a FRuiT JoB"],
    )
    assert out == "FRUITJOB - this is a fruit job"


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        (
            ["a=b", "b===ll", "c=12345", "d=ab=", "e=", "f=sadf=234"],
            {"a": "b", "b": "==ll", "c": "12345", "d": "ab=", "e": "", "f": "sadf=234"},
        ),
        (["a=b", "a=c", "a=d"], {"a": "d"}),
    ],
)
def test_parse_values_valid(pairs: list[str], expected: dict[str, str]) -> None:
    """TestParseValues_Valid (base_render_options_test.go)."""
    assert parse_set(pairs) == expected


@pytest.mark.parametrize("pair", ["apple", "=k", "=====", "=", "", "           "])
def test_parse_values_invalid(pair: str) -> None:
    """TestParseValues_Invalid."""
    with pytest.raises(UsageError):
        parse_set([pair])


def test_set_value_renders_as_a_string_even_when_numeric() -> None:
    """parseValues serialises ``c=12345`` as ``c: "12345"``: a string, so ``kindOf`` says string."""
    assert render("{{ kindOf .Values.c }} {{ kindOf .Values.n }}", values_file="n: 12345", sets=["c=12345"]) == (
        "string int"
    )
