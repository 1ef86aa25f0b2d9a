"""Definition layer: YAML with source positions -> schema check -> typed model -> semantic lint."""

from tasks_engine.definition.load import (
    APPROXIMATE_NOTE,
    DefinitionResult,
    Locate,
    load_definition,
    parse_definition,
)
from tasks_engine.definition.model import (
    AUTO_ID_PREFIX,
    DEFAULT_STEP_TIMEOUT,
    DEFAULT_TOTAL_TIMEOUT,
    DEFAULT_VERSION,
    ROOT_ID,
    NetworkDef,
    SecretDef,
    StepDef,
    StepKind,
    TaskDefinition,
    VolumeDef,
    VolumeMountDef,
)
from tasks_engine.errors import DefinitionError, Problem, Severity

__all__ = [
    "APPROXIMATE_NOTE",
    "AUTO_ID_PREFIX",
    "DEFAULT_STEP_TIMEOUT",
    "DEFAULT_TOTAL_TIMEOUT",
    "DEFAULT_VERSION",
    "ROOT_ID",
    "DefinitionError",
    "DefinitionResult",
    "Locate",
    "NetworkDef",
    "Problem",
    "SecretDef",
    "Severity",
    "StepDef",
    "StepKind",
    "TaskDefinition",
    "VolumeDef",
    "VolumeMountDef",
    "load_definition",
    "parse_definition",
]
