"""Plan layer: a validated task definition -> the flat, deterministic run plan (IR) the executor runs."""

from tasks_engine.plan.buildflags import BuildFlagError, parse_build_args
from tasks_engine.plan.compile import compile_plan, default_network_for
from tasks_engine.plan.critical_path import critical_path, format_plan_table
from tasks_engine.plan.model import (
    PLAN_VERSION,
    BuildSpec,
    MountSpec,
    NetworkSpec,
    RunPlan,
    StepSpec,
    StepType,
    VolumeSpec,
)
from tasks_engine.plan.serialize import PlanFormatError, plan_from_dict, plan_from_json, plan_to_json

__all__ = [
    "PLAN_VERSION",
    "BuildFlagError",
    "BuildSpec",
    "MountSpec",
    "NetworkSpec",
    "PlanFormatError",
    "RunPlan",
    "StepSpec",
    "StepType",
    "VolumeSpec",
    "compile_plan",
    "critical_path",
    "default_network_for",
    "format_plan_table",
    "parse_build_args",
    "plan_from_dict",
    "plan_from_json",
    "plan_to_json",
]
