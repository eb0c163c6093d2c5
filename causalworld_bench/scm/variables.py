"""Declared variables of a structural causal model."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["property", "outcome"]
VType = Literal["continuous", "binary", "categorical"]
Space = Literal["A", "B"]


@dataclass(frozen=True)
class Variable:
    """One SCM variable.

    ``space_a`` is the in-distribution range and ``space_b`` the disjoint out-of-distribution range
    (closed intervals; for binary/categorical variables, the inclusive range of category indices).
    Outcomes may leave ``space_b`` as ``None``: they are read from the physics, never drawn.
    """

    name: str
    kind: Kind
    vtype: VType
    unit: str
    space_a: tuple[float, float]
    space_b: tuple[float, float] | None = None
    observed: bool = True
    intervenable: bool = False
    description: str = ""
    categories: tuple[str, ...] = ()
    tolerance: float | None = None  # absolute tolerance when this continuous variable is a target
    is_target: bool = False
    extra: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        lo, hi = self.space_a
        if not lo <= hi:
            raise ValueError(f"{self.name}: empty space A {self.space_a}")
        if self.space_b is not None:
            blo, bhi = self.space_b
            if not blo <= bhi or not (bhi < lo or blo > hi):
                raise ValueError(f"{self.name}: space B {self.space_b} must be disjoint from A {self.space_a}")
        if self.vtype == "categorical" and len(self.categories) != int(self.bounds[1]) + 1:
            raise ValueError(f"{self.name}: categorical variable needs one name per category")
        if self.is_target and self.vtype == "continuous" and self.tolerance is None:
            raise ValueError(f"{self.name}: a continuous target needs a tolerance")

    @property
    def bounds(self) -> tuple[float, float]:
        """The hull of spaces A and B: every value an intervention may set."""
        if self.space_b is None:
            return self.space_a
        return min(self.space_a[0], self.space_b[0]), max(self.space_a[1], self.space_b[1])

    def space(self, which: Space) -> tuple[float, float]:
        if which == "A":
            return self.space_a
        if which == "B" and self.space_b is not None:
            return self.space_b
        raise ValueError(f"{self.name}: no space {which!r}")

    @property
    def discrete(self) -> bool:
        return self.vtype != "continuous"

    def validate(self, value: object) -> float:
        """Return ``value`` as a float if it is a legal value of this variable, else raise ValueError."""
        try:
            v = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(f"{self.name}: value {value!r} is not a number") from None
        if not math.isfinite(v):
            raise ValueError(f"{self.name}: value {v} is not finite")
        lo, hi = self.bounds
        if not lo <= v <= hi:
            raise ValueError(f"{self.name}: value {v} is outside its range [{lo}, {hi}] {self.unit}")
        if self.discrete and v != int(v):
            raise ValueError(f"{self.name}: value {v} is not a category index")
        return v
