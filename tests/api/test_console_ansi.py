"""The log's ANSI converter: colours become a fixed set of classes, everything else is escaped text."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from tasks_engine.api.console.ansi import AnsiConverter, apply_sgr, log_lines

CLASS = r"(?:(?:fg|bg)(?:[0-9]|1[0-5])|b|d|i|u)"
TAG = re.compile(rf'<span class="{CLASS}(?: {CLASS})*">|</span>')


def test_colours_and_attributes_become_classes_and_reset_clears_them() -> None:
    assert log_lines("\x1b[1;31mbad\x1b[0m ok\n") == ['<span class="fg1 b">bad</span> ok']
    assert log_lines("\x1b[92;44mbright\x1b[39mbg only\x1b[49m\n") == [
        '<span class="fg10 bg4">bright</span><span class="bg4">bg only</span>']
    assert log_lines("\x1b[38;5;9mlow\x1b[38;5;200m kept\x1b[38;2;1;2;3m rgb\x1b[m\n") == [
        '<span class="fg9">low kept rgb</span>']
    assert apply_sgr(apply_sgr(apply_sgr(AnsiConverter().style, "1;2;3;4"), "22"), "23;24").classes() == ""


def test_a_style_carries_to_the_next_line_as_in_a_terminal() -> None:
    assert log_lines("\x1b[33mone\ntwo\x1b[0m\nthree\n") == ['<span class="fg3">one</span>',
                                                              '<span class="fg3">two</span>', "three"]


def test_html_is_escaped_and_other_escapes_and_controls_are_dropped() -> None:
    line = '<img src=x onerror="alert(1)"> & \x1b]0;title\x07\x1b[2K\x1b[1Gdone\x00\x08\t!'
    assert log_lines(line) == ['&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; done\t!']


def test_a_carriage_return_keeps_what_a_terminal_shows() -> None:
    assert log_lines("10%\r50%\r100%\nwindows line\r\n") == ["100%", "windows line"]


@given(st.lists(st.sampled_from([*"ab<>&\"'\r\t\x1b[];0123456789m;", "\x1b[31m", "\x1b[0m"]), max_size=60)
       .map("".join))
def test_any_input_gives_only_escaped_text_and_our_own_tags(text: str) -> None:
    for line in log_lines(text):
        stripped = TAG.sub("", str(line))
        assert "<" not in stripped and ">" not in stripped and "\x1b" not in stripped
