"""``validate``, ``render`` and ``plan``: everything before execution, no Docker needed."""

from __future__ import annotations

import argparse
import json
import sys

import yaml

from tasks_engine import compiler
from tasks_engine.cli.inputs import static_inputs
from tasks_engine.cli.problems import invalid_summary, print_problems
from tasks_engine.config import load_config
from tasks_engine.errors import DefinitionError, Severity
from tasks_engine.plan.critical_path import format_plan_table
from tasks_engine.plan.serialize import plan_to_json
from tasks_engine.runtime.masking import SecretMasker
from tasks_engine.service.files import read_text_file


def _inputs(args: argparse.Namespace) -> compiler.CompileInputs:
    config = load_config(args.config)
    text, filename = read_text_file(args.file, what="task file")
    return static_inputs(args, config, text=text, filename=filename)


def _masker(inputs: compiler.CompileInputs) -> SecretMasker:
    """``--set-secret`` values never reach the terminal, not even in a rendered file or a printed plan."""
    return SecretMasker(inputs.secrets.values())


def cmd_validate(args: argparse.Namespace) -> int:
    inputs = _inputs(args)
    masker = _masker(inputs)
    try:
        warnings = compiler.validate(inputs)
        problems, valid = warnings, True
    except DefinitionError as exc:
        problems, valid = exc.problems, False
    if args.output == "json":
        print(masker.mask(json.dumps({"valid": valid, "problems": [p.to_dict() for p in problems]}, indent=2)))
    else:
        print_problems(problems, masker=masker)
        if valid:
            warnings_n = sum(1 for p in problems if p.severity is Severity.WARNING)
            print(f"{inputs.filename}: valid" + (f" ({warnings_n} warning(s))" if warnings_n else ""))
        else:
            print(masker.mask(invalid_summary(inputs.filename, problems)), file=sys.stderr)
    return 0 if valid else 1


def _volume_secrets(text: str) -> list[str]:
    """Best effort: the contents of ``volumes[*].secret`` in a rendered file (which may not even be YAML)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    found: list[str] = []
    volumes = data.get("volumes") if isinstance(data, dict) else None
    for volume in volumes if isinstance(volumes, list) else []:
        secret = volume.get("secret") if isinstance(volume, dict) else None
        if isinstance(secret, dict):
            found += [str(v) for v in secret.values() if v is not None]
    return found


def cmd_render(args: argparse.Namespace) -> int:
    inputs = _inputs(args)
    rendered = compiler.render(inputs)
    # Secret volume contents are secrets even when written literally in the file, as in the run's logs.
    masker = SecretMasker([*inputs.secrets.values(), *_volume_secrets(rendered.text)])
    text = masker.mask(rendered.text)
    sys.stdout.write(text)
    if text and not text.endswith("\n"):
        sys.stdout.write("\n")
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    inputs = _inputs(args)
    masker = _masker(inputs)
    compiled = compiler.compile_task(inputs)
    print_problems(compiled.warnings, masker=masker)
    if args.output == "json":
        print(masker.mask(plan_to_json(compiled.plan)))
    else:
        print(masker.mask(format_plan_table(compiled.plan)))
    return 0
