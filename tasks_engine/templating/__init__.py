"""Task-file templating: comment stripping, version detection, ACR aliases, values and Go-template rendering.

Public names are loaded lazily so that importing a sub-package (``templating.gotemplate``,
``templating.sprig``) does not import the whole pipeline.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tasks_engine.templating.alias_sources import AliasSourceError as AliasSourceError
    from tasks_engine.templating.alias_sources import (
        default_alias_source_loader as default_alias_source_loader,
    )
    from tasks_engine.templating.aliases import builtin_aliases as builtin_aliases
    from tasks_engine.templating.aliases import default_image_aliases as default_image_aliases
    from tasks_engine.templating.aliases import expand_command_alias as expand_command_alias
    from tasks_engine.templating.aliases import substitute_aliases as substitute_aliases
    from tasks_engine.templating.comments import strip_comment_lines as strip_comment_lines
    from tasks_engine.templating.pipeline import RenderedTask as RenderedTask
    from tasks_engine.templating.pipeline import render_quick_cmd as render_quick_cmd
    from tasks_engine.templating.pipeline import render_task as render_task
    from tasks_engine.templating.rundata import RunInfo as RunInfo
    from tasks_engine.templating.rundata import build_template_data as build_template_data
    from tasks_engine.templating.rundata import shell_quote as shell_quote
    from tasks_engine.templating.values import load_values as load_values
    from tasks_engine.templating.values import merge_values as merge_values
    from tasks_engine.templating.values import parse_set as parse_set
    from tasks_engine.templating.version import ALIAS_NOTE as ALIAS_NOTE
    from tasks_engine.templating.version import CURRENT_VERSION as CURRENT_VERSION
    from tasks_engine.templating.version import aliases_enabled as aliases_enabled
    from tasks_engine.templating.version import find_version as find_version
    from tasks_engine.templating.version import validate_version as validate_version

_EXPORTS = {
    "AliasSourceError": "alias_sources",
    "default_alias_source_loader": "alias_sources",
    "builtin_aliases": "aliases",
    "default_image_aliases": "aliases",
    "expand_command_alias": "aliases",
    "substitute_aliases": "aliases",
    "strip_comment_lines": "comments",
    "RenderedTask": "pipeline",
    "render_quick_cmd": "pipeline",
    "render_task": "pipeline",
    "RunInfo": "rundata",
    "build_template_data": "rundata",
    "shell_quote": "rundata",
    "load_values": "values",
    "merge_values": "values",
    "parse_set": "values",
    "ALIAS_NOTE": "version",
    "CURRENT_VERSION": "version",
    "aliases_enabled": "version",
    "find_version": "version",
    "validate_version": "version",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
