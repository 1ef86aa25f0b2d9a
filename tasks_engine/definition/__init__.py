"""Definition layer: YAML with source positions -> schema check -> typed model -> semantic lint."""

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

__all__ = [
    "AUTO_ID_PREFIX",
    "DEFAULT_STEP_TIMEOUT",
    "DEFAULT_TOTAL_TIMEOUT",
    "DEFAULT_VERSION",
    "ROOT_ID",
    "NetworkDef",
    "SecretDef",
    "StepDef",
    "StepKind",
    "TaskDefinition",
    "VolumeDef",
    "VolumeMountDef",
]
