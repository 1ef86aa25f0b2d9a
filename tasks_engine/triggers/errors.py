"""Errors of the trigger core, split by who must act.

* A webhook or registry delivery that is malformed, unsigned or wrongly signed is the sender's problem:
  ``TriggerError`` from :mod:`tasks_engine.errors` (HTTP 400, or 401 for authentication), raised as is.
* A trigger *configuration* that is wrong (a cron expression, a branch glob, a repository URL, a timer name
  given to ``task create``) is the user's: ``TriggerConfigError``, a ``UsageError`` (HTTP 400, exit 2) that
  names the field and says what was wrong, so the CLI and the API can point at the flag.
"""

from __future__ import annotations

from tasks_engine.errors import TriggerError, UsageError

__all__ = ["CronError", "InvalidRepositoryUrlError", "TriggerConfigError", "TriggerError", "bad_request"]


class TriggerConfigError(UsageError):
    """A trigger setting is invalid; ``field`` names it (``schedule``, ``branch``, ``pathFilters[2]`` …)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.reason = message
        super().__init__(f"{field}: {message}")


class InvalidRepositoryUrlError(TriggerConfigError):
    """A repository URL that names no remote git repository (garbage, a local path, no host or no path)."""

    def __init__(self, url: str, message: str, *, field: str = "repositoryUrl") -> None:
        self.url = url
        super().__init__(field, message)


class CronError(TriggerConfigError):
    """A cron expression outside ACR's 5-field NCrontab syntax; ``cron_field`` is minute/hour/… or ''."""

    def __init__(self, expression: str, message: str, *, cron_field: str = "", field: str = "schedule") -> None:
        self.expression = expression
        self.cron_field = cron_field
        where = f"{cron_field} field: " if cron_field else ""
        super().__init__(field, f"invalid cron expression {expression!r}: {where}{message}")


def bad_request(message: str) -> TriggerError:
    """A malformed delivery: HTTP 400, no run. (Authentication failures are raised with status 401.)"""
    return TriggerError(message, status=400)
