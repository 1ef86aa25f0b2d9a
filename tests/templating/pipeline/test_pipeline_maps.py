"""Property tests for the source maps of the text-rewriting stages (comments, aliases)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tasks_engine.templating.aliases import separate_alias_block, substitute_aliases
from tasks_engine.templating.comments import strip_comment_lines


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab$&🐳 {}\n.ID")), max_size=60))
def test_substitution_map_covers_every_output_position(text: str) -> None:
    out, source_map = substitute_aliases(text, {"a": "AAA", "ID": "{{.Run.ID}}", "b": ""}, "$")
    for offset in range(len(out) + 1):
        source, exact = source_map.to_source(offset)
        assert 0 <= source <= len(text)
        if exact and offset < len(out):
            assert text[source] == out[offset]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab# \n\t\r")), max_size=60))
def test_comment_stripping_map_is_exact(text: str) -> None:
    out, source_map = strip_comment_lines(text)
    for offset in range(len(out)):
        source, exact = source_map.to_source(offset)
        assert exact
        assert text[source] == out[offset]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("al:s# \n\r-x")), max_size=80))
def test_alias_split_maps_are_exact(text: str) -> None:
    split = separate_alias_block(text)
    for part, source_map in ((split.alias_text, split.alias_map), (split.rest_text, split.rest_map)):
        for offset in range(len(part)):
            source, exact = source_map.to_source(offset)
            assert 0 <= source <= len(text)
            if exact:
                assert text[source] == part[offset]
