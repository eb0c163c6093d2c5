"""The SCM engine: explicit property equations, physics as the outcome mechanism, do() and
counterfactuals computed exactly from per-variable exogenous noise."""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from causalworld_bench.scm.graph import CausalGraph
from causalworld_bench.scm.noise import check_seed, exogenous_noise
from causalworld_bench.scm.variables import Space, Variable

#: An equation maps (parent values, its uniform noise, the space being sampled) to a value.
EquationFn = Callable[[Mapping[str, float], np.ndarray, Space], float]


@dataclass(frozen=True)
class Equation:
    """A structural equation: the variable as a function of its declared parents and its own noise."""

    parents: tuple[str, ...]
    fn: EquationFn
    noise_dim: int = 1


@dataclass(frozen=True)
class TaskParam:
    """A hidden mechanism constant, shared by every episode of one task and varied across tasks."""

    name: str
    low: float
    high: float
    unit: str
    description: str = ""


class InterventionError(ValueError):
    """An intervention names an unknown or non-intervenable variable, or sets an illegal value."""


class SCM(abc.ABC):
    """A structural causal model whose outcome mechanism is a (deterministic) simulator.

    Subclasses declare ``variables``, ``equations`` (for every property and every derived outcome),
    ``simulated`` (outcome -> declared parents, computed by :meth:`_simulate`) and ``task_params``.
    """

    name: str = ""
    description: str = ""
    variables: tuple[Variable, ...] = ()
    equations: Mapping[str, Equation] = {}
    simulated: Mapping[str, tuple[str, ...]] = {}
    task_params: tuple[TaskParam, ...] = ()

    def __init__(self) -> None:
        self._vars = {v.name: v for v in self.variables}
        if len(self._vars) != len(self.variables):
            raise ValueError(f"{self.name}: duplicate variable names")
        declared = set(self.equations) | set(self.simulated)
        if declared != set(self._vars) or set(self.equations) & set(self.simulated):
            raise ValueError(f"{self.name}: every variable needs exactly one equation or simulator")
        parents = {n: eq.parents for n, eq in self.equations.items()} | dict(self.simulated)
        self.graph = CausalGraph.from_parents([v.name for v in self.variables], parents)
        if not self.graph.is_dag():
            raise ValueError(f"{self.name}: declared graph has a cycle")
        order = self.graph.topological_order()
        self._before = tuple(n for n in order if self._vars[n].kind == "property")
        self._after = tuple(n for n in order if n in self.equations and self._vars[n].kind == "outcome")
        for n in self.simulated:
            if self._vars[n].kind != "outcome" or any(self._vars[p].kind != "property" for p in parents[n]):
                raise ValueError(f"{self.name}: simulated {n!r} must be an outcome of properties only")
        for n in self._before:
            if any(self._vars[p].kind != "property" for p in parents[n]):
                raise ValueError(f"{self.name}: property {n!r} cannot depend on an outcome")
        self._noise_dims = {n: eq.noise_dim for n, eq in self.equations.items() if eq.noise_dim > 0}
        self._params = {p.name: p for p in self.task_params}

    # -- declarations ----------------------------------------------------------------------------
    def variable(self, name: str) -> Variable:
        try:
            return self._vars[name]
        except KeyError:
            raise ValueError(f"{self.name}: unknown variable {name!r}") from None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables)

    @property
    def observed(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables if v.observed)

    @property
    def intervenable(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables if v.intervenable)

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables if v.is_target)

    def confounded_with(self, target: str) -> tuple[str, ...]:
        """Intervenable variables that share a latent common cause with ``target``: their observational
        association with it is (partly) spurious, and an intervention on them breaks it."""
        target_anc = self.graph.ancestors(target)
        return tuple(
            v.name for v in self.variables
            if v.intervenable and v.name != target
            and any(not self._vars[a].observed and a in target_anc for a in self.graph.ancestors(v.name))
        )

    # -- task parameters -------------------------------------------------------------------------
    def sample_task_params(self, rng: np.random.Generator) -> dict[str, float]:
        """Draw one task's hidden mechanism constants uniformly from their declared ranges."""
        return {p.name: float(rng.uniform(p.low, p.high)) for p in self.task_params}

    def check_params(self, params: Mapping[str, float]) -> dict[str, float]:
        if not isinstance(params, Mapping):
            raise ValueError(f"{self.name}: task params must be a mapping, got {type(params).__name__}")
        unknown = set(params) - set(self._params)
        missing = set(self._params) - set(params)
        if unknown or missing:
            raise ValueError(
                f"{self.name}: task params unknown {sorted(unknown)} / missing {sorted(missing)}"
            )
        out = {}
        for name, spec in self._params.items():
            try:
                v = float(params[name])
            except (TypeError, ValueError):
                raise ValueError(f"{self.name}: task param {name} = {params[name]!r} is not a number") from None
            if not (math.isfinite(v) and spec.low <= v <= spec.high):
                raise ValueError(f"{self.name}: task param {name} = {v} outside [{spec.low}, {spec.high}]")
            out[name] = v
        return out

    # -- sampling --------------------------------------------------------------------------------
    def check_do(self, do: Mapping[str, float] | None, *, any_variable: bool = False) -> dict[str, float]:
        """Validate an intervention: known, intervenable variables set to finite in-range values."""
        if do is None:
            return {}
        if not isinstance(do, Mapping):
            raise InterventionError(f"{self.name}: do must be a mapping of variable -> value")
        out = {}
        for name, value in do.items():
            if name not in self._vars:
                raise InterventionError(f"{self.name}: cannot intervene on unknown variable {name!r}")
            var = self._vars[name]
            if not any_variable and not var.intervenable:
                raise InterventionError(f"{self.name}: variable {name!r} is not intervenable")
            try:
                out[name] = var.validate(value)
            except ValueError as exc:
                raise InterventionError(f"{self.name}: bad intervention do({exc})") from None
        return out

    def noise(self, seed: int) -> dict[str, np.ndarray]:
        """The exogenous noise of episode ``seed``: uniform draws per variable with an equation."""
        return exogenous_noise(check_seed(seed), self.name, self._noise_dims)

    def sample(
        self,
        params: Mapping[str, float],
        seed: int,
        do: Mapping[str, float] | None = None,
        space: Space = "A",
    ) -> dict[str, float]:
        """All variables (latent included) of episode ``seed`` of the task with ``params``.

        With ``do``, each intervened variable's equation is replaced by the constant and everything
        downstream is recomputed with the *same* exogenous noise, so the result is the exact
        counterfactual of ``sample(params, seed)``. ``space`` selects where root properties are drawn.
        """
        return self._evaluate(self.check_params(params), check_seed(seed), self.check_do(do), space)

    counterfactual = sample

    def evaluate(
        self, params: Mapping[str, float], seed: int, fixed: Mapping[str, float], space: Space = "A"
    ) -> dict[str, float]:
        """Like :meth:`sample` but may clamp *any* variable, latent or not intervenable.

        Ground-truth access for tests (graph faithfulness) and the oracle agent, not a task API."""
        return self._evaluate(
            self.check_params(params), check_seed(seed), self.check_do(fixed, any_variable=True), space
        )

    def sample_batch(
        self,
        params: Mapping[str, float],
        seeds: Iterable[int],
        do: Mapping[str, float] | None = None,
        space: Space = "A",
    ) -> dict[str, np.ndarray]:
        """:meth:`sample` over many seeds; arrays of float64 (continuous) or int64 (discrete)."""
        params, do = self.check_params(params), self.check_do(do)
        rows = [self._evaluate(params, check_seed(s), do, space) for s in seeds]
        return {
            v.name: np.array([r[v.name] for r in rows], dtype=np.int64 if v.discrete else np.float64)
            for v in self.variables
        }

    def properties(
        self, seed: int, do: Mapping[str, float] | None = None, space: Space = "A"
    ) -> dict[str, float]:
        """Only the property variables (everything set before the physics runs) of episode ``seed``."""
        return self._properties(self.noise(seed), self.check_do(do), space)

    def _properties(
        self, noise: dict[str, np.ndarray], do: dict[str, float], space: Space
    ) -> dict[str, float]:
        if space not in ("A", "B"):
            raise ValueError(f"space must be 'A' or 'B', got {space!r}")
        values: dict[str, float] = {}
        for name in self._before:
            values[name] = do[name] if name in do else self._apply(name, values, noise, space)
        return values

    def _evaluate(
        self, params: dict[str, float], seed: int, do: dict[str, float], space: Space
    ) -> dict[str, float]:
        noise = self.noise(seed)
        values = self._properties(noise, do, space)
        sim = self._simulate(dict(values), params)
        for name in self.simulated:
            values[name] = do[name] if name in do else self._cast(name, sim[name])
        for name in self._after:
            values[name] = do[name] if name in do else self._apply(name, values, noise, space)
        return values

    def _apply(self, name: str, values: dict[str, float], noise: dict[str, np.ndarray], space: Space) -> float:
        eq = self.equations[name]
        parents = {p: values[p] for p in eq.parents}
        return self._cast(name, eq.fn(parents, noise.get(name, _EMPTY), space))

    def _cast(self, name: str, value: float) -> float:
        if self._vars[name].discrete:
            return int(value)
        return float(value)

    @abc.abstractmethod
    def _simulate(self, properties: Mapping[str, float], params: Mapping[str, float]) -> dict[str, float]:
        """Run the physics for one episode; return every simulated outcome."""


_EMPTY = np.zeros(0)
