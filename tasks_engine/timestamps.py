"""Reading the times the service keeps: ISO 8601 text in UTC (``2026-12-01T20:20:36.123Z``).

One reader for the CLI's tables, the console's pages and the timers, which all take times back from records
and settings written by other processes (or edited by hand), so anything unreadable is "no time", not an error.
"""

from __future__ import annotations

from datetime import UTC, datetime


def parse_utc(value: object) -> datetime | None:
    """The moment ``value`` names (a time without a zone is UTC); None for anything that is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
