"""Parse errors: Go's messages, and positions that point into the template source."""

from __future__ import annotations

import pytest

from tasks_engine.templating.gotemplate import TemplateError, parse

PARSE_ERRORS = [
    ("{{", "unclosed action", (1, 3)),
    ("{{.x", "unclosed action", (1, 5)),
    ("a\n{{ .x \n", "unclosed action started at acb.yaml:2", (3, 1)),
    ("{{end}}", "unexpected {{end}}", (1, 6)),
    ("{{else}}", "unexpected {{else}}", (1, 7)),
    ("{{if .x}}", "unexpected EOF", (1, 10)),
    ("{{range .x}}a", "unexpected EOF", (1, 14)),
    ("{{with .x}}{{else}}{{else}}{{end}}", "expected end; found {{else}}", (1, 26)),
    ("{{range .x}}{{else}}{{else}}{{end}}", "expected end; found {{else}}", (1, 27)),
    ("{{$y}}", 'undefined variable "$y"', (1, 3)),
    ("{{if true}}{{$x := 1}}{{end}}{{$x}}", 'undefined variable "$x"', (1, 32)),
    ("{{range $i, $v := .}}{{end}}{{$i}}", 'undefined variable "$i"', (1, 31)),
    ("{{ nofunc }}", 'function "nofunc" not defined', (1, 4)),
    ("{{ 1a }}", 'bad number syntax: "1a"', (1, 4)),
    ("{{ 0x }}", 'illegal number syntax: "0x"', (1, 4)),
    ("{{ 08 }}", 'integer overflow: "08"', (1, 4)),
    ("{{ 99999999999999999999 }}", 'integer overflow: "99999999999999999999"', (1, 4)),
    ("{{ 1i }}", "complex numbers are not supported: 1i", (1, 4)),
    ("{{ 'ab' }}", "malformed character constant: 'ab'", (1, 4)),
    ('{{ "\\q" }}', "invalid syntax", (1, 4)),
    ('{{ "abc }}', "unterminated quoted string", (1, 4)),
    ("{{ `abc }}", "unterminated raw quoted string", (1, 4)),
    ("{{ 'a }}", "unterminated character constant", (1, 4)),
    ("{{with}}", "missing value for with", (1, 7)),
    ("{{if}}", "missing value for if", (1, 5)),
    ("{{}}", "missing value for command", (1, 3)),
    ("{{ (1 }}", "unclosed left paren", (1, 7)),
    ("{{ 1) }}", 'unexpected ")" in command', (1, 5)),
    ("{{ 1 | 2 }}", "non executable command in pipeline stage 2", (1, 10)),
    ("{{break}}", "{{break}} outside {{range}}", (1, 8)),
    ("{{continue}}", "{{continue}} outside {{range}}", (1, 11)),
    ("{{range .}}{{break 1}}{{end}}", 'unexpected "1" in {{break}}', (1, 20)),
    ("{{ true.x }}", 'unexpected . after term "true"', (1, 8)),
    ("{{ .a@ }}", "bad character U+0040 '@'", (1, 4)),
    ("{{ # }}", 'unexpected "#" in command', (1, 4)),
    ("{{ \x01 }}", "unrecognized character in action: U+0001", (1, 4)),
    ("{{ $ : 1 }}", "expected :=", (1, 6)),
    ("{{ $x : 1 }}", 'undefined variable "$x"', (1, 4)),
    ("{{ .x\n\n 1a }}", 'bad number syntax: "1a" in action started at acb.yaml:1', (3, 2)),
    ("{{ $a, $b := 1 }}", "too many declarations in command", (1, 6)),
    ("{{ range $a, 1 }}", "range can only initialize variables", (1, 14)),
    ("{{/* c */ x}}", "comment ends before closing delimiter", (1, 3)),
    ("{{/* c", "unclosed comment", (1, 3)),
    ('{{define "a"}}1{{end}}{{define "a"}}2{{end}}', 'template: multiple definition of template "a"', (1, 43)),
    ("{{define a}}{{end}}", 'unexpected "a" in define clause', (1, 10)),
    ('{{template "x" | }}', 'unexpected "|" in template clause', (1, 16)),
]


@pytest.mark.parametrize(("text", "msg", "where"), PARSE_ERRORS, ids=[p[1] for p in PARSE_ERRORS])
def test_parse_errors(text: str, msg: str, where: tuple[int, int]) -> None:
    with pytest.raises(TemplateError) as ei:
        parse(text, name="acb.yaml")
    err = ei.value
    assert err.kind == "parse"
    assert err.message == msg
    assert str(err).startswith("template: acb.yaml:")
    assert str(err).endswith(f": {msg}")
    assert (err.line, err.column) == where


def test_parse_error_line_counts_newlines_in_text_and_actions() -> None:
    with pytest.raises(TemplateError) as ei:
        parse("a\nb\n{{/* x\ny */}}\n{{ .x\n | nofunc }}")
    assert ei.value.line == 6
    assert ei.value.message == 'function "nofunc" not defined'


def test_user_function_named_break_is_a_function() -> None:
    t = parse("{{break}}", funcs={"break": lambda: "B"})
    assert t.execute({}).text == "B"


def test_template_names() -> None:
    t = parse('{{define "a"}}{{end}}{{block "b" .}}{{end}}x', name="main")
    assert t.template_names == ["a", "b", "main"]


def test_go_text_uses_the_line_of_the_furthest_token() -> None:
    # Go's parser reports the line of its lookahead token; the attributes point at the variable itself.
    with pytest.raises(TemplateError) as ei:
        parse("{{$y\n}}", name="acb.yaml")
    assert str(ei.value) == 'template: acb.yaml:2: undefined variable "$y"'
    assert (ei.value.line, ei.value.column, ei.value.offset) == (1, 3, 2)
