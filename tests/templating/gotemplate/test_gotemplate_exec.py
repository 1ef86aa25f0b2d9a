"""Execution behaviour, ported from Go's text/template exec_test.go to the map/list data model."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tasks_engine.templating.gotemplate import TemplateError, parse, render

DATA: dict[str, object] = {
    "I": 17,
    "F": 1.5,
    "S": "xyz",
    "B": True,
    "SI": [3, 4, 5],
    "SIEmpty": [],
    "SS": ["a", "b"],
    "MSI": {"one": 1, "two": 2, "three": 3},
    "MSIEmpty": {},
    "Nil": None,
    "Nested": {"A": {"B": "deep"}, "L": [{"N": "x"}, {"N": "y"}]},
    "Values": {"tag": "v1", "foo": 5, "bar": 10, "list": ["a", "b"]},
    "Run": {"ID": "cb1", "Registry": "reg.azurecr.io"},
    "Str": "It'd be nice.",
}


def _run(text: str, data: object = DATA, **kw: object) -> str:
    return render(text, data, **kw).text  # type: ignore[arg-type]


EXEC_CASES = [
    # basics
    ("empty", "", ""),
    ("text", "some text", "some text"),
    ("dot field", "{{.I}}", "17"),
    ("nested field", "{{.Nested.A.B}}", "deep"),
    ("$ root", "{{$.S}}", "xyz"),
    ("string literal", '{{"hello"}}', "hello"),
    ("raw string", "{{`a\\nb`}}", "a\\nb"),
    ("escapes", '{{"a\\tb\\u00e9\\x41\\101\\\\"}}', "a\tbéAA\\"),
    ("bool", "{{true}} {{false}}", "true false"),
    ("numbers", "{{1}} {{-1}} {{+1}} {{1.5}} {{1e3}} {{1_000}}", "1 -1 1 1.5 1000 1000"),
    ("number bases", "{{0x10}} {{0o17}} {{017}} {{0b101}} {{0x1p4}} {{0X_1F}}", "16 15 15 5 16 31"),
    ("char constant", "{{'a'}} {{'\\n'}} {{'\\u00e9'}}", "97 10 233"),
    ("float formatting", "{{1e21}} {{1e6}} {{0.1}} {{100000.0}}", "1e+21 1e+06 0.1 100000"),
    ("list", "{{.SI}}", "[3 4 5]"),
    ("map", "{{.MSI}}", "map[one:1 three:3 two:2]"),
    ("missing key prints no value", "{{.Nope}}", "<no value>"),
    ("nil value prints no value", "{{.Nil}}", "<no value>"),
    ("missing nested under map", "{{.Values.nope}}", "<no value>"),
    # pipelines and functions
    ("pipe to printf", '{{"output" | printf "%s"}}', "output"),
    ("two pipes", '{{"output" | printf "%s" | printf "%q"}}', '"output"'),
    ("pipe arg goes last", '{{.S | printf "%s-%s" "a"}}', "a-xyz"),
    ("parenthesized", '{{(printf "%d" 3)}}', "3"),
    ("paren field", "{{(.Nested).A.B}}", "deep"),
    ("paren index field", '{{(index .Nested.L 1).N}}', "y"),
    ("printf", '{{printf "%d-%s-%v-%.2f" 127 "x" .SI 3.14159}}', "127-x-[3 4 5]-3.14"),
    ("printf wrong type", '{{printf "%d" "x"}}', "%!d(string=x)"),
    ("printf missing arg", '{{printf "%d %d" 1}}', "1 %!d(MISSING)"),
    ("printf missing value", '{{printf "%v" .Nope}}', "<nil>"),
    ("print", '{{print 1 2 "a" "b" 3}}', "1 2ab3"),
    ("print missing", "{{print .Nope}}", "<nil>"),
    ("println", "{{println 1 2}}", "1 2\n"),
    ("html", '{{html "<script>alert(\\"XSS\\");</script>"}}', "&lt;script&gt;alert(&#34;XSS&#34;);&lt;/script&gt;"),
    ("html missing", "{{html .Nope}}", "&lt;no value&gt;"),
    ("js", "{{js .Str}}", "It\\'d be nice."),
    ("js specials", '{{js "<a=b&c>"}}', "\\u003Ca\\u003Db\\u0026c\\u003E"),
    ("urlquery", '{{"http://www.example.org/"|urlquery}}', "http%3A%2F%2Fwww.example.org%2F"),
    ("urlquery space", '{{urlquery "a b"}}', "a+b"),
    ("len", '{{len "abc"}} {{len .SI}} {{len .MSI}} {{len "日本"}}', "3 3 3 6"),
    ("index list", "{{index .SI 2}}", "5"),
    ("index map", '{{index .MSI "two"}}', "2"),
    ("index map missing", '{{index .MSI "xxx"}}', "<no value>"),
    ("index string", '{{index "abc" 1}}', "98"),
    ("index multi", '{{index .Nested "A" "B"}}', "deep"),
    ("index nested list", '{{index .Nested.L 0 "N"}}', "x"),
    ("slice list", "{{slice .SI 1 2}} {{slice .SI 1}} {{slice .SI}}", "[4] [4 5] [3 4 5]"),
    ("slice string", '{{slice "abcde" 1 3}}', "bc"),
    ("not", "{{not true}} {{not 0}} {{not .SIEmpty}} {{not .SI}}", "false true true false"),
    ("and", "{{and 1 0}} {{and 1 1}} {{and 1 2 3}} {{and 0 1}}", "0 1 3 0"),
    ("or", "{{or 0 0}} {{or 1 0}} {{or 0 \"\" 3}} {{or .Nope 7}}", "0 1 3 7"),
    ("and short-circuits", "{{and false (index .SI 10)}}", "false"),
    ("or short-circuits", "{{or true (index .SI 10)}}", "true"),
    ("and pipe", "{{1 | and 2}}", "1"),
    ("eq", '{{eq 1 1}} {{eq 1 2}} {{eq "x" "x"}} {{eq 1.5 1.5}} {{eq true true}}', "true false true true true"),
    ("eq multi", "{{eq 3 4 5 6 3}} {{eq 3 4 5}}", "true false"),
    ("eq missing nil", "{{eq .Nope nil}} {{eq .Nope 1}}", "true false"),
    ("ne", "{{ne 1 2}} {{ne 1 1}}", "true false"),
    ("lt le gt ge", "{{lt 1 2}} {{le 2 2}} {{gt 3 2}} {{ge 1 2}} {{lt 1.5 2.5}} {{le \"xy\" \"xyz\"}}",
     "true true true false true true"),
    # if / with / range
    ("if true", "{{if true}}T{{end}}", "T"),
    ("if false else", "{{if false}}T{{else}}F{{end}}", "F"),
    ("if else if", "{{if false}}A{{else if true}}B{{else}}C{{end}}", "B"),
    ("if empty list", "{{if .SIEmpty}}T{{else}}F{{end}}", "F"),
    ("if empty string", '{{if ""}}T{{else}}F{{end}}', "F"),
    ("if zero float", "{{if 0.0}}T{{else}}F{{end}}", "F"),
    ("if missing", "{{if .Nope}}T{{else}}F{{end}}", "F"),
    ("if nil value", "{{if .Nil}}T{{else}}F{{end}}", "F"),
    ("if map", "{{if .MSI}}T{{end}}{{if .MSIEmpty}}X{{end}}", "T"),
    ("with", "{{with .S}}<{{.}}>{{end}}", "<xyz>"),
    ("with else", "{{with .SIEmpty}}X{{else}}E{{.I}}{{end}}", "E17"),
    ("with else with", "{{with 0}}{{.}}{{else with true}}{{.}}{{end}}", "true"),
    ("with $x", "{{with $x := .I}}{{$x}}{{.}}{{end}}", "1717"),
    ("range list", "{{range .SI}}<{{.}}>{{end}}", "<3><4><5>"),
    ("range empty else", "{{range .SIEmpty}}-{{.}}-{{else}}EMPTY{{end}}", "EMPTY"),
    ("range missing else", "{{range .Nope}}x{{else}}none{{end}}", "none"),
    ("range $x", "{{range $x := .SI}}<{{$x}}>{{end}}", "<3><4><5>"),
    ("range $i $x", "{{range $i, $x := .SI}}<{{$i}}={{$x}}>{{end}}", "<0=3><1=4><2=5>"),
    ("range map sorted", "{{range $k, $v := .MSI}}{{$k}}={{$v}} {{end}}", "one=1 three=3 two=2 "),
    ("range map values", "{{range .MSI}}{{.}}{{end}}", "132"),
    ("range int", "{{range 3}}{{.}}{{end}}", "012"),
    ("range $ inside", "{{range .SI}}{{$.S}}{{end}}", "xyzxyzxyz"),
    ("range break", "{{range .SI}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}}", "3"),
    ("range continue", "{{range .SI}}{{if eq . 4}}{{continue}}{{end}}{{.}}{{end}}", "35"),
    ("nested range", "{{range .SI}}{{range $i, $x := $.SS}}{{$i}}{{if true}}{{break}}{{end}}{{end}}{{end}}", "000"),
    ("range assign", "{{$x := 0}}{{range $x = .SI}}{{end}}{{$x}}", "5"),
    ("range assign two", "{{$i := 0}}{{$v := 0}}{{range $i, $v = .SS}}{{end}}{{$i}}{{$v}}", "1b"),
    ("range list of maps", "{{range .Nested.L}}{{.N}}{{end}}", "xy"),
    # variables
    ("declare", '{{$x := "hello"}}{{$x}}', "hello"),
    ("declare prints nothing", "{{$x := 1}}", ""),
    ("assign in if", "{{$x := 2}}{{if true}}{{$x = 3}}{{end}}{{$x}}", "3"),
    ("shadow in if", "{{$x := 2}}{{if true}}{{$x := 3}}{{$x}}{{end}}{{$x}}", "32"),
    ("redeclare", "{{$x := 1}}{{$x := 2}}{{$x}}", "2"),
    ("var field", "{{$m := .Nested}}{{$m.A.B}}", "deep"),
    ("var in range body reset", "{{range .SI}}{{$y := .}}{{$y}}{{end}}", "345"),
    # templates
    ("define template", '{{define "x"}}X{{.}}{{end}}{{template "x" .I}}', "X17"),
    ("template no arg", '{{define "x"}}[{{.}}]{{end}}{{template "x"}}', "[<no value>]"),
    ("template no vars inherited", '{{define "x"}}{{$}}{{end}}{{$y := 1}}{{template "x" 5}}', "5"),
    ("block", '{{block "b" .S}}B{{.}}{{end}}', "Bxyz"),
    ("define only", '{{define "x"}}X{{end}}', ""),
    # comments and trimming
    ("comment", "a{{/* comment */}}b", "ab"),
    ("comment multi-line", "a{{/* c\nd */}}b", "ab"),
    ("trim comment", "a {{- /* c */ -}} b", "ab"),
    ("trim left", "a  \n {{- 1}}", "a1"),
    ("trim right", "{{1 -}}  \n  b", "1b"),
    ("trim both", "{{23 -}} < {{- 45}}", "23<45"),
    ("trim all spaces", "{{- 23 -}} < {{- 45 -}}", "23<45"),
    ("trim tab", "a\t{{-\t1\t-}}\tb", "a1b"),
    ("minus is number", "{{-3}}", "-3"),
    ("newlines inside action", "{{\n .I \n}}", "17"),
    ("no trim without space", "x {{-1}} y", "x -1 y"),
    # ACR expectations (TestRenderMath uses Sprig add/sub/mul; here printf stands in)
    ("acr values", "{{.Run.Registry}}/app:{{.Values.tag}}", "reg.azurecr.io/app:v1"),
]


@pytest.mark.parametrize(("name", "text", "want"), EXEC_CASES, ids=[c[0] for c in EXEC_CASES])
def test_exec(name: str, text: str, want: str) -> None:
    assert _run(text) == want


EXEC_ERRORS = [
    ("nil command", "{{nil}}", "nil is not a command"),
    ("field of missing", "{{.Nope.X}}", "nil pointer evaluating interface {}.X"),
    ("field of nil value", "{{.Nil.X}}", "nil pointer evaluating interface {}.X"),
    ("field of string", "{{.S.X}}", "can't evaluate field X in type interface {}"),
    ("field of var string", '{{$x := "s"}}{{$x.X}}', "can't evaluate field X in type string"),
    ("field of dot string", "{{with .S}}{{.X}}{{end}}", "can't evaluate field X in type string"),
    ("field of int", "{{with 1}}{{.X}}{{end}}", "can't evaluate field X in type int"),
    ("field with args", "{{.S 1}}", "S is not a method but has arguments"),
    ("arg to non-function", "{{$x := 1}}{{$x 2}}", "can't give argument to non-function $x"),
    ("len of int", "{{len 3}}", "error calling len: len of type int"),
    ("len of missing", "{{len .Nope}}", "error calling len: len of nil pointer"),
    ("index int", "{{index 1 0}}", "error calling index: can't index item of type int"),
    ("index out of range", "{{index .SI 3}}", "error calling index: index out of range: 3"),
    ("index negative", "{{index .SI -1}}", "error calling index: index out of range: -1"),
    ("index map with int", "{{index .MSI 1}}", "error calling index: value has type int; should be string"),
    ("index missing", '{{index .Nope "a"}}', "error calling index: index of untyped nil"),
    ("index nil", "{{index nil 1}}", "error calling index: index of untyped nil"),
    ("slice bad", "{{slice .SI 2 1}}", "error calling slice: invalid slice index: 2 > 1"),
    ("slice 3 string", '{{slice "abc" 1 2 3}}', "error calling slice: cannot 3-index slice a string"),
    ("eq incompatible", '{{eq 1 "a"}}', "error calling eq: incompatible types for comparison"),
    ("eq int float", "{{eq 1 1.0}}", "error calling eq: incompatible types for comparison"),
    ("eq lists", "{{eq .SI .SI}}", "error calling eq: non-comparable type [3 4 5]: []interface {}"),
    ("eq no args", "{{eq 1}}", "error calling eq: missing argument for comparison"),
    ("lt bool", "{{lt true false}}", "error calling lt: invalid type for comparison"),
    ("lt mixed", "{{lt 1 1.5}}", "error calling lt: incompatible types for comparison"),
    ("lt missing", "{{lt .Nope 1}}", "error calling lt: invalid type for comparison"),
    ("range float", "{{range 1.5}}{{end}}", "range can't iterate over 1.5"),
    ("range int two vars", "{{range $i, $v := 3}}{{end}}", "can't use 3 to iterate over more than one variable"),
    ("template undefined", '{{template "nope"}}', 'template "nope" not defined'),
    ("wrong arg count builtin", "{{not 1 2}}", "wrong number of args for not: want 1 got 2"),
    ("wrong arg count variadic", "{{printf}}", "wrong number of args for printf: want at least 1 got 0"),
    ("printf format not string", "{{printf 1}}", "expected string; found 1"),
    ("printf format int value", "{{.I | printf}}", "wrong type for value; expected string; got int"),
    ("assign undefined", "{{$x = 1}}", "undefined variable: $x"),
    ("paren nil", "{{(nil).X}}", "nil is not a command"),
]


@pytest.mark.parametrize(("name", "text", "msg"), EXEC_ERRORS, ids=[c[0] for c in EXEC_ERRORS])
def test_exec_errors(name: str, text: str, msg: str) -> None:
    with pytest.raises(TemplateError) as ei:
        _run(text)
    err = ei.value
    assert err.kind == "exec"
    assert err.message == msg
    assert str(err).startswith("template: task:1:")
    assert str(err).endswith(": " + msg)


def test_exec_error_text_is_gos() -> None:
    with pytest.raises(TemplateError) as ei:
        _run("line1\n  {{ .Nope.X }}")
    assert str(ei.value) == (
        'template: task:2:10: executing "task" at <.Nope.X>: nil pointer evaluating interface {}.X'
    )
    assert (ei.value.line, ei.value.column) == (2, 11)


def test_error_in_defined_template_names_it() -> None:
    with pytest.raises(TemplateError) as ei:
        _run('{{define "t"}}\n{{len 3}}{{end}}{{template "t"}}', name="acb.yaml")
    assert str(ei.value) == (
        'template: acb.yaml:2:2: executing "t" at <len 3>: error calling len: len of type int'
    )


def test_lenient_nil_fields_option() -> None:
    assert _run("{{.Nope.X.Y}}", lenient_nil_fields=True) == "<no value>"


@pytest.mark.parametrize(
    ("missingkey", "want"),
    [("zero", "<no value>"), ("default", "<no value>"), ("invalid", "<no value>")],
)
def test_missingkey_modes(missingkey: str, want: str) -> None:
    assert _run("{{.Nope}}", missingkey=missingkey) == want


def test_missingkey_default_field_of_missing_is_no_value() -> None:
    # With an *invalid* value (missingkey=default) Go returns zero for further fields instead of failing.
    assert _run("{{.Nope.X}}", missingkey="default") == "<no value>"


def test_missingkey_error() -> None:
    with pytest.raises(TemplateError, match='map has no entry for key "Nope"'):
        _run("{{.Nope}}", missingkey="error")
    with pytest.raises(ValueError, match="missingkey"):
        _run("x", missingkey="bogus")


def test_nil_data() -> None:
    assert render("{{.}} {{.X}}", None).text == "<no value> <no value>"
    with pytest.raises(TemplateError, match='nil data; no entry for key "X"'):
        render("{{.X}}", None, missingkey="error")


# -- user functions ---------------------------------------------------------------------------------------


def _boom() -> str:
    raise RuntimeError("kaboom")


def _two(a: object, b: object) -> str:
    return f"{a}-{b}"


def _upper(s: str) -> str:
    return s.upper()


def _add(a: int, b: int) -> int:
    return a + b


def _join(sep: str, *items: object) -> str:
    return sep.join(str(i) for i in items)


FUNCS: dict[str, Callable[..., object]] = {
    "boom": _boom,
    "two": _two,
    "upper": _upper,
    "add": _add,
    "join": _join,
    "len": lambda x: 42,
    "nothing": lambda: None,
    "list": lambda *a: list(a),
}


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ('{{"x" | two 1}}', "1-x"),
        ("{{two 1 2}}", "1-2"),
        ('{{upper "abc"}}', "ABC"),
        ('{{"abc" | upper}}', "ABC"),
        ("{{.Values.foo | add .Values.bar}}", "15"),
        ('{{join "," 1 2 3}}', "1,2,3"),
        ('{{len "abc"}}', "42"),  # user functions override builtins, as in Go
        ("{{nothing}}", "<no value>"),
        ("{{two .Nope 1}}", "None-1"),
        ("{{list 1 2 | len}}", "42"),
        ("{{index (list 1 2) 1}}", "2"),
    ],
)
def test_user_funcs(text: str, want: str) -> None:
    assert _run(text, funcs=FUNCS) == want


@pytest.mark.parametrize(
    ("text", "msg"),
    [
        ("{{boom}}", "error calling boom: kaboom"),
        ("{{two 1}}", "wrong number of args for two: want 2 got 1"),
        ("{{1 | two 1 2}}", "wrong number of args for two: want 2 got 3"),
        ("{{upper 5}}", "expected string; found 5"),
        ("{{5 | upper}}", "wrong type for value; expected string; got int"),
        ("{{.I | upper}}", "wrong type for value; expected string; got int"),
        ("{{.Nope | upper}}", "invalid value; expected string"),
        ("{{upper .Nope}}", "wrong type for value; expected string; got interface {}"),
        ("{{add 1 1.5}}", "expected integer; found 1.5"),
        ("{{upper nil}}", "cannot assign nil to string"),
    ],
)
def test_user_func_errors(text: str, msg: str) -> None:
    with pytest.raises(TemplateError) as ei:
        _run(text, funcs=FUNCS)
    assert ei.value.message == msg


def test_error_calling_points_at_the_command() -> None:
    with pytest.raises(TemplateError) as ei:
        _run("ab\ncd {{ 1 | boom }}", funcs={"boom": lambda x: 1 / 0})
    err = ei.value
    assert err.message == "error calling boom: division by zero"
    assert (err.line, err.column) == (2, 11)
    assert str(err) == 'template: task:2:10: executing "task" at <boom>: error calling boom: division by zero'


def test_parse_once_execute_many() -> None:
    t = parse("{{.a}}-{{.b}}")
    assert t.execute({"a": 1, "b": 2}).text == "1-2"
    assert t.execute({"a": "x"}).text == "x-<no value>"


def test_acr_render_math_with_pipeline_args() -> None:
    funcs: dict[str, Callable[..., object]] = {
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
    }
    text = "{{.foo | add .bar}}, {{- .bar | sub .foo }}, {{- .foo | mul .bar}}"
    assert render(text, {"foo": 5, "bar": 10}, funcs=funcs).text == "15,-5,50"
