"""Go templates call methods on Go values: Sprig's ``now``/``toDate`` return a ``time.Time``, so
``{{ now.Year }}``, ``{{ now.Unix }}`` and ``{{ now.Format "20060102" }}`` work in ACR (common in task
files that stamp image tags). Expected outputs are Go's for 2010-05-20 13:14:22 UTC (a Thursday).
"""

from __future__ import annotations

import pytest
from conformance_helpers import render

from tasks_engine.errors import DefinitionError


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ now.Year }}", "2010"),
        ("{{ now.Unix }}", "1274361262"),
        ("{{ now.UnixNano }}", "1274361262000000000"),
        ('{{ now.Format "20060102-150405" }}', "20100520-131422"),
        ('{{ now.UTC.Format "2006" }}', "2010"),
        ("{{ now.Hour }}:{{ now.Minute }}:{{ now.Second }}", "13:14:22"),
        ("{{ now.Month }}", "May"),  # time.Month is a Stringer
        ('{{ printf "%02d" now.Month }}', "05"),  # ... and an int
        ('{{ printf "%T" now.Month }}', "time.Month"),
        ("{{ now.Weekday }}", "Thursday"),
        ("{{ now.YearDay }}", "140"),
        ("{{ (now.AddDate 0 0 12).Day }}", "1"),
        ('{{ ((toDate "2006-01-02" "2019-01-31").AddDate 0 1 0).Format "2006-01-02" }}', "2019-03-03"),
        ('{{ (toDate "2006-01-02" "2019-03-04").Month }}', "March"),
        ("{{ now.IsZero }}", "false"),
        ('{{ (toDate "2006" "not a year").IsZero }}', "true"),  # Sprig's toDate gives the zero time on error
        ('{{ (toDate "2006" "not a year").Unix }}', "-62135596800"),
        ("{{ now.String }}", "2010-05-20 13:14:22 +0000 UTC"),
        ("{{ typeOf now }}", "time.Time"),
        ('tag: {{ .Run.ID }}-{{ now.Format "200601021504" }}', "tag: ab1-201005201314"),
    ],
)
def test_time_methods(template: str, expected: str) -> None:
    assert render(template) == expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ now.Nope }}", "can't evaluate field Nope in type time.Time"),
        ("{{ now.Year 1 }}", "wrong number of args for Year: want 0 got 1"),
        ("{{ now.Format 1 }}", "expected string; found 1"),
    ],
)
def test_bad_method_calls_are_go_errors(template: str, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        render(template)
