"""The search space of the hpo study: validated before anything runs, then asked of each Optuna trial.

Example (``hpo.search_space`` in ``conf/base/parameters_hpo.yml``)::

    learning_rate: {type: float, low: 1.0e-5, high: 1.0e-3, log: true}
    batch_size: {type: categorical, choices: [8, 16, 32]}
    epochs: {type: int, low: 2, high: 6}
    backbone: {type: fixed, value: minilm}

Names are hyperparameter short names or dotted run-config keys (see ``training.hyperparameters``); parsing turns each
into its one spelling (``optimization.epochs`` -> ``epochs``), so everything after it reads one name per setting.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    field_validator,
    model_validator,
)

from resume_ner.backbones import BackboneSpec
from resume_ner.errors import UserInputError, describe_validation_error
from resume_ner.training.config import TrainingSettings
from resume_ner.training.hyperparameters import (
    apply_hyperparameters,
    hyperparameter_value,
    normalise_hyperparameters,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FloatRange(_Strict):
    type: Literal["float"]
    low: float
    high: float
    log: bool = False
    step: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> FloatRange:
        if self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.log and self.low <= 0:
            raise ValueError(f"a log range needs low > 0, got {self.low}")
        if self.log and self.step is not None:
            raise ValueError("step and log cannot be combined")
        return self

    def suggest(self, trial, name: str) -> float:
        return trial.suggest_float(name, self.low, self.high, log=self.log, step=self.step)

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not self.low <= value <= self.high:
            return False
        return self.step is None or math.isclose((value - self.low) / self.step, round((value - self.low) / self.step))

    def edges(self) -> list:
        return [self.low, self.high]

    def grid(self) -> list | None:
        if self.step is None:
            return None
        count = round((self.high - self.low) / self.step)
        return [self.low + index * self.step for index in range(count + 1)]


class IntRange(_Strict):
    type: Literal["int"]
    low: int
    high: int
    log: bool = False
    step: int = Field(1, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> IntRange:
        if self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.log and (self.low < 1 or self.step != 1):
            raise ValueError("a log range needs low >= 1 and step 1")
        return self

    def suggest(self, trial, name: str) -> int:
        return trial.suggest_int(name, self.low, self.high, log=self.log, step=self.step)

    def contains(self, value: Any) -> bool:
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and self.low <= value <= self.high
            and (value - self.low) % self.step == 0
        )

    def edges(self) -> list:
        return [self.low, self.high]

    def grid(self) -> list:
        return list(range(self.low, self.high + 1, self.step))


class Categorical(_Strict):
    type: Literal["categorical"]
    choices: list[Any] = Field(min_length=1)

    @field_validator("choices")
    @classmethod
    def _distinct(cls, value: list[Any]) -> list[Any]:
        if len({repr(choice) for choice in value}) != len(value):
            raise ValueError("choices must be distinct")
        if not all(choice is None or isinstance(choice, (bool, int, float, str)) for choice in value):
            raise ValueError("choices must be numbers, strings, booleans or null")
        return value

    def suggest(self, trial, name: str) -> Any:
        return trial.suggest_categorical(name, self.choices)

    def contains(self, value: Any) -> bool:
        return any(type(value) is type(choice) and value == choice for choice in self.choices)

    def edges(self) -> list:
        return list(self.choices)

    def grid(self) -> list:
        return list(self.choices)


class Fixed(_Strict):
    type: Literal["fixed"]
    value: Any

    def suggest(self, trial, name: str) -> Any:
        return self.value

    def contains(self, value: Any) -> bool:
        return value == self.value

    def edges(self) -> list:
        return [self.value]

    def grid(self) -> None:
        return None


Dimension = Annotated[FloatRange | IntRange | Categorical | Fixed, Field(discriminator="type")]


class SearchSpace(RootModel[dict[str, Dimension]]):
    """Hyperparameter name (in its one spelling) -> dimension (float, int, categorical or fixed)."""

    @model_validator(mode="before")
    @classmethod
    def _one_spelling(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        if not data:
            raise ValueError("the search space is empty")
        try:
            return normalise_hyperparameters(data)
        except UserInputError as error:
            raise ValueError(str(error)) from None

    def suggest(self, trial) -> dict[str, Any]:
        """The trial's hyperparameters, every dimension: suggested for ranges and choices (Optuna records those as
        the trial's params), as given for fixed values (which only this dict holds)."""
        return {name: dimension.suggest(trial, name) for name, dimension in self.root.items()}

    def grid(self) -> dict[str, list] | None:
        """The grid for Optuna's GridSampler, or None when a float range has no step."""
        grid = {}
        for name, dimension in self.root.items():
            if isinstance(dimension, Fixed):
                continue
            values = dimension.grid()
            if values is None:
                return None
            grid[name] = values
        return grid

    def values_in(self, settings: TrainingSettings) -> tuple[dict[str, Any], list[str]]:
        """The values ``settings`` give the searched dimensions (fixed ones left out: they are no Optuna
        params), and one line per dimension whose value the space does not contain."""
        values, outside = {}, []
        for name, dimension in self.root.items():
            if isinstance(dimension, Fixed):
                continue
            value = hyperparameter_value(settings, name)
            if dimension.contains(value):
                values[name] = value
            else:
                outside.append(f"{name} = {value!r} is outside {dimension.model_dump(exclude_defaults=True)}")
        return values, outside

    def varies(self, name: str) -> bool:
        """Whether trials can differ in ``name`` (a range, or a choice of several values)."""
        dimension = self.root.get(name)
        return dimension is not None and len(dimension.edges()) > 1

    def mean_value(self, name: str, default: float) -> float:
        """What ``name`` averages over uniformly drawn trials (``epochs``: what a trial trains per fold)."""
        dimension = self.root.get(name)
        if isinstance(dimension, IntRange):
            grid = dimension.grid()
            return sum(grid) / len(grid)
        if isinstance(dimension, FloatRange):
            return (dimension.low + dimension.high) / 2
        if isinstance(dimension, Categorical):
            return sum(float(choice) for choice in dimension.choices) / len(dimension.choices)
        if isinstance(dimension, Fixed):
            return float(dimension.value)
        return default

    def upper_bound(self, name: str, default: int) -> int:
        """The largest value ``name`` can take (``epochs``: the cap every trial stays under)."""
        dimension = self.root.get(name)
        if isinstance(dimension, IntRange):
            return dimension.high
        if isinstance(dimension, Categorical):
            return max(int(choice) for choice in dimension.choices)
        if isinstance(dimension, Fixed):
            return int(dimension.value)
        return default


def check_search_space(space: SearchSpace, base: TrainingSettings) -> list[BackboneSpec]:
    """Build the training settings of every choice of every dimension (both ends of a range), each on top of
    ``base``, so a value that cannot train fails now, naming the dimension and the value, instead of in the
    trial that draws it. Returns the distinct backbones (resolved) the study can train."""
    backbones = [base.backbone]
    for name, dimension in space.root.items():
        for value in dimension.edges():
            settings = apply_hyperparameters(
                base, {name: value}, f"for hpo.search_space.{name} = {value!r} (on training.base)"
            )
            if settings.backbone not in backbones:
                backbones.append(settings.backbone)
    return backbones


def parse_search_space(data: Any) -> SearchSpace:
    """Validate ``hpo.search_space``; one line naming each bad dimension and key otherwise."""
    from pydantic import ValidationError

    try:
        return SearchSpace.model_validate(data)
    except ValidationError as error:
        raise UserInputError(
            describe_validation_error(
                error, "Invalid hpo.search_space", unnamed=("float", "int", "categorical", "fixed")
            )
        ) from None
