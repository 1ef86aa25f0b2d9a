"""``tasks-engine deps impact IMAGE`` and ``deps events``: the dependency index on a server, before and after
anything runs.

``impact`` prints the rebuild plan a change of IMAGE would start — each task once, in its generation (the
longest path from the image: base → mid → app puts app in 2 even when app is also built on the base), the
cycles found (reported, never looped), the tasks beyond the generation limit, and the dependants whose
trigger or task is disabled. ``events`` lists what the cascade recently did *not* queue, and why.
"""

from __future__ import annotations

import argparse

from tasks_engine.cli.output import emit, print_json
from tasks_engine.cli.redact import masker_for
from tasks_engine.cli.remote.client import ApiClient
from tasks_engine.cli.remote.endpoint import required_endpoint
from tasks_engine.cli.tables import EVENT_COLUMNS, IMPACT_COLUMNS, event_row, format_table, impact_rows
from tasks_engine.errors import UsageError


def cmd_deps(args: argparse.Namespace) -> int:
    endpoint = required_endpoint(args)
    masker = masker_for(args)
    with ApiClient(endpoint) as client:
        if args.deps_command == "impact":
            plan = client.deps_impact(args.image)
            if args.output == "json":
                print_json(plan, masker)
                return 0
            rows = impact_rows(plan)
            print(f"A change of {plan.get('image')} rebuilds {len(rows)} task(s):" if rows
                  else f"A change of {plan.get('image')} rebuilds nothing.")
            if rows:
                print(masker.mask(format_table(rows, IMPACT_COLUMNS)))
            for cycle in plan.get("cycles") or []:
                print(f"cycle (stopped at run time, each member rebuilds once): {cycle.get('description')}")
            if plan.get("beyondLimit"):
                print(f"beyond the {plan.get('maxGenerations')}-generation limit (not rebuilt): "
                      + ", ".join(plan["beyondLimit"]))
            if plan.get("disabled"):
                print("trigger or task disabled (not rebuilt): " + ", ".join(plan["disabled"]))
            return 0
        if args.deps_command == "events":
            emit(client.trigger_events(args.top), output=args.output, row=event_row, columns=EVENT_COLUMNS,
                 masker=masker)
            return 0
    raise UsageError(f"unknown deps command {args.deps_command!r}")
