"""Suite-wide settings.

Hypothesis: locally every run explores new random examples (that is how bugs are found); under CI=true the
examples are derandomized so a submission's CI result does not depend on luck, and no per-example deadline
applies on a loaded 2-core machine.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI", "").lower() in {"1", "true", "yes"} else "dev")
