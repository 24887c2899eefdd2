"""The experiment as the rest of hpotui sees it, after loading and validation.

Loaders (``loader.py``) turn the friendly YAML form or the WML-A request form into
an :class:`Experiment`; ``wmla.py`` turns it back into the exact WML-A request body.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hpotui.space import ChoiceParam, RangeParam, SearchSpace

ValueType = Literal["int", "double", "str", "mixed"]
"""``mixed``: a list of values of several JSON types, each kept as written."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Objective(_Model):
    metric: str = "loss"
    """The key read from each record of ``val_dict_list.json``."""
    goal: Literal["minimize", "maximize"] = "minimize"
    """Whether smaller or larger values of the metric are better."""
    value: Literal["best", "last"] = "best"
    """A trial's value: its best step in the goal's direction, or its last step."""

    def loss(self, value: float) -> float:
        """``value`` as a quantity to minimise, the form algorithms work with."""
        return value if self.goal == "minimize" else -value

    def better(self, a: float, b: float) -> bool:
        """Whether ``a`` is strictly better than ``b``."""
        return a < b if self.goal == "minimize" else a > b


class AlgorithmSpec(_Model):
    name: str = "Random"
    """A built-in algorithm (Random, Grid, TPE, Hyperband, ...) or a plugin."""
    seed: int | None = None
    """Seed of the algorithm's random numbers: the same seed gives the same trials."""
    options: dict[str, Any] = Field(default_factory=dict)
    """Settings other than name and seed, e.g. Hyperband's eta and resource."""


class Limits(_Model):
    max_jobs: int = 10
    """How many trials to run in all; -1 for no limit."""
    max_parallel_jobs: int = 1
    """How many trials may run at once."""
    max_run_time: float | None = None
    """Wall-clock limit of the whole experiment in seconds; None for no limit."""


class ModelSpec(_Model):
    dir: Path
    """The folder copied into each trial's working directory (absolute once loaded)."""
    command: list[str]
    """The training command, split into words; never passed to a shell."""


class ExecutorSpec(_Model):
    type: Literal["local", "dask"] = "local"
    """Where trials run: processes on this machine, or a Dask cluster."""
    address: str | None = None
    """A Dask scheduler address such as ``tcp://host:8786``."""
    cluster: Literal["local"] | None = None
    """``local`` starts a Dask LocalCluster for the experiment."""
    workers: int | None = None
    """Worker processes of a LocalCluster."""
    on_worker_lost: Literal["fail", "retry"] = "fail"
    """A trial whose Dask worker dies is marked failed, or re-run once."""
    shared_path: bool = False
    """The model folder is on a file system every worker reads; do not upload it."""


class WmlaSpec(_Model):
    """How the experiment is written as a WML-A request (remote backend, export)."""

    sig_name: str | None = None
    """The Spark instance group that runs the trials (``modelSpec.sigName``)."""
    args: str | None = None
    """The ``dlicmd`` arguments (``modelSpec.args``); built from ``model`` if unset."""
    framework: str = "PyTorch"
    """``--exec-start`` when the arguments are built: a plain Python job by default."""
    all_bound_keys: bool = False
    """Write every bound key of a hyperparameter, zeros for the unused ones."""
    step_as_string: bool = False
    """Write ``step`` as a string (``"0.002"``), as some clients do."""


class HyperParam(_Model):
    """One hyperparameter as declared: a range or a list of values."""

    name: str
    type: ValueType
    """The JSON type of the values that reach config.json."""
    low: int | float | None = None
    """Inclusive lower bound; an ``int`` for int ranges so JSON stays integral."""
    high: int | float | None = None
    """Inclusive upper bound."""
    step: int | float | None = None
    """Values are ``low + k * step`` only; None for a continuous range."""
    log: bool = False
    power: float | None = None
    """Set when the range came from WML-A's ``power``: ``low``/``high`` are then
    ``power ** exponent`` and the range is searched on a log scale."""
    values: tuple[Any, ...] | None = None
    """For a list: the values, each keeping its own JSON type."""

    @property
    def is_range(self) -> bool:
        return self.values is None

    def to_param(self) -> RangeParam | ChoiceParam:
        """The search-space form of this hyperparameter."""
        if self.values is not None:
            return ChoiceParam(self.name, tuple(self.values))
        assert self.low is not None and self.high is not None
        number_type = "int" if self.type == "int" else "double"
        return RangeParam(
            self.name, number_type, self.low, self.high, self.log, self.step
        )


class Experiment(_Model):
    name: str
    objective: Objective = Objective()
    algorithm: AlgorithmSpec = AlgorithmSpec()
    limits: Limits = Limits()
    model: ModelSpec
    hyperparams: tuple[HyperParam, ...] = ()
    experiments: tuple[dict[str, Any], ...] | None = None
    """The explicit list of configurations for ExperimentGridSearch."""
    data_fraction: float | None = None
    """Fraction of the training data each trial uses, passed in config.json."""
    gpus_per_trial: int = 0
    """GPUs each trial gets through its own CUDA_VISIBLE_DEVICES."""
    gpus: tuple[str, ...] | None = None
    """The GPU pool; by default taken from CUDA_VISIBLE_DEVICES."""
    executor: ExecutorSpec = ExecutorSpec()
    early_stopping: dict[str, Any] | None = None
    """An opt-in rule that stops unpromising trials while they run."""
    wmla: WmlaSpec = WmlaSpec()
    """Settings used only when the experiment goes to WML-A."""
    source: Path | None = None
    """The file this experiment was loaded from, if any."""
    notes: tuple[str, ...] = ()
    """Warnings and notes from validation (``warning: file:line field: text``), for
    display."""

    def search_space(self) -> SearchSpace:
        return SearchSpace(tuple(hp.to_param() for hp in self.hyperparams))

    def algorithm_options(self) -> dict[str, Any]:
        """What the algorithm is created with: its options, plus the explicit list
        of configurations (``experiments``) for ExperimentGridSearch."""
        options = dict(self.algorithm.options)
        if self.experiments is not None:
            options["experiments"] = [dict(row) for row in self.experiments]
        return options
