"""``python -m tasks_engine`` is the same as the ``tasks-engine`` command."""

from tasks_engine.cli.main import main

raise SystemExit(main())
