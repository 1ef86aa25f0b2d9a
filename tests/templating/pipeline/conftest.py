"""A typical run for the pipeline tests."""

from __future__ import annotations

import pytest
from pipeline_fixtures import FIXED_NOW

from tasks_engine.templating.rundata import RunInfo


@pytest.fixture
def run() -> RunInfo:
    return RunInfo(id="ab1", registry="myreg.azurecr.io", shared_volume="acb_vol_X", date=FIXED_NOW)
