"""Source maps: rendered offsets point back into the template the user wrote."""

from __future__ import annotations

import itertools

import pytest

from tasks_engine.templating.gotemplate import Segment, SourceMap, compose, line_col, offset_of, render


def test_literal_text_maps_one_to_one_and_actions_to_their_delimiter() -> None:
    src = "ab{{ .x }}cd"
    res = render(src, {"x": "XYZ"})
    assert res.text == "abXYZcd"
    m = res.source_map
    assert m.to_source(0) == (0, True)
    assert m.to_source(1) == (1, True)
    for i in (2, 3, 4):  # inside the action output: the "{{"
        assert m.to_source(i) == (2, False)
    assert m.to_source(5) == (src.index("cd"), True)
    assert m.to_source(6) == (src.index("cd") + 1, True)
    assert m.to_source(7) == (len(src), True)  # end of text


def test_trimmed_whitespace_is_skipped_exactly() -> None:
    src = "a  {{- .x -}}  \n b"
    res = render(src, {"x": "X"})
    assert res.text == "aXb"
    assert res.source_map.to_source(2) == (src.index("b"), True)
    assert res.source_map.to_source(1) == (src.index("{{"), False)


def test_range_repeats_body_text_with_source_offsets() -> None:
    src = "{{range .l}}- {{.}}\n{{end}}"
    res = render(src, {"l": [1, 2]})
    assert res.text == "- 1\n- 2\n"
    body = src.index("- ")
    assert res.source_map.to_source(0) == (body, True)
    assert res.source_map.to_source(4) == (body, True)  # second iteration maps to the same text
    assert res.source_map.to_source(6) == (src.index("{{."), False)


def test_segments_cover_the_output_contiguously() -> None:
    src = "x: {{ .a }}\n{{ if .b }}y: {{ .b }}{{ end }}\nz"
    res = render(src, {"a": 1, "b": "B"})
    segs = res.source_map.segments
    assert segs[0].out_start == 0
    assert segs[-1].out_end == len(res.text)
    assert all(p.out_end == n.out_start for p, n in itertools.pairwise(segs))
    for s in segs:
        if s.literal:
            assert res.text[s.out_start : s.out_end] == src[s.src_start : s.src_start + s.out_end - s.out_start]


def test_defined_template_text_maps_into_its_definition() -> None:
    src = '{{define "t"}}TT{{end}}a{{template "t"}}'
    res = render(src, {})
    assert res.text == "aTT"
    assert res.source_map.to_source(1) == (src.index("TT"), True)


def test_identity() -> None:
    m = SourceMap.identity(10)
    assert [m.to_source(i) for i in (0, 5, 10)] == [(0, True), (5, True), (10, True)]
    assert SourceMap.identity(0).to_source(0) == (0, False)


def test_compose_through_a_comment_stripping_stage() -> None:
    stage1 = "# comment\nimg: {{ .a }}:v1\n"
    stage2 = stage1[len("# comment\n") :]
    first = SourceMap([Segment(0, len(stage2), len("# comment\n"), True)])
    res = render(stage2, {"a": "repo"})
    assert res.text == "img: repo:v1\n"
    both = first.then(res.source_map)
    assert both == compose(first, res.source_map)
    assert both.to_source(0) == (stage1.index("img"), True)
    assert both.to_source(5) == (stage1.index("{{"), False)
    assert both.to_source(res.text.index(":v1")) == (stage1.index(":v1"), True)


def test_compose_splits_literal_ranges_across_earlier_segments() -> None:
    # stage 2 = "AAxBB" where "x" came from an action at stage-1 offset 50; AA from 0, BB from 60.
    first = SourceMap([Segment(0, 2, 0, True), Segment(2, 3, 50, False), Segment(3, 5, 60, True)])
    later = SourceMap.identity(5)
    m = compose(first, later)
    assert [m.to_source(i) for i in range(6)] == [(0, True), (1, True), (50, False), (60, True), (61, True), (62, True)]
    # and a later non-literal segment maps to where its source point came from
    later2 = SourceMap([Segment(0, 3, 4, False)])
    assert compose(first, later2).to_source(1) == (61, False)


def test_compose_is_associative_on_offsets() -> None:
    a = SourceMap([Segment(0, 4, 10, True), Segment(4, 8, 30, True)])
    b = SourceMap([Segment(0, 3, 1, True), Segment(3, 6, 5, False), Segment(6, 9, 3, True)])
    c = SourceMap([Segment(0, 9, 0, True)])
    left = a.then(b).then(c)
    right = a.then(b.then(c))
    assert [left.to_source(i) for i in range(10)] == [right.to_source(i) for i in range(10)]


@pytest.mark.parametrize(
    ("offset", "want"),
    [(0, (1, 1)), (2, (1, 3)), (3, (1, 4)), (4, (2, 1)), (5, (2, 2)), (6, (3, 1)), (99, (3, 1))],
)
def test_line_col(offset: int, want: tuple[int, int]) -> None:
    assert line_col("abc\nd\n", offset) == want


def test_offset_of_round_trips() -> None:
    text = "\n".join(f"line {i}: é{i}" for i in range(10_000))
    for off in (0, 1, 17, len(text) // 2, len(text) - 1):
        line, col = line_col(text, off)
        assert offset_of(text, line, col) == off
    assert offset_of(text, 1, 999) == text.index("\n")
