"""Experiment files: the pydantic model, the YAML and WML-A loaders, validation.

This package knows nothing of running experiments.
"""

from hpotui.experiment.loader import load_experiment, load_experiment_text
from hpotui.experiment.model import Experiment, HyperParam
from hpotui.experiment.validate import ValidationReport, check_experiment_file
from hpotui.experiment.wmla import from_wmla_request, to_wmla_request
from hpotui.experiment.writer import dump_experiment

__all__ = [
    "Experiment",
    "HyperParam",
    "ValidationReport",
    "check_experiment_file",
    "dump_experiment",
    "from_wmla_request",
    "load_experiment",
    "load_experiment_text",
    "to_wmla_request",
]
