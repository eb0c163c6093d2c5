"""The one interface every agent implements, and loading agents by ``module:Class`` reference.

An agent answers tasks (:class:`~causalworld_bench.tasks.Task` without answers)::

    class MyAgent:
        def predict(self, task: Task) -> np.ndarray: ...                # required: (task.n_queries,)
        def meta_train(self, train_tasks: Sequence[Task], **kw) -> dict | None: ...   # optional
        def causal_graph(self, world: str) -> np.ndarray | None: ...    # optional: bool adjacency
        def save(self, path: str) -> None: ...                          # optional
        def load(self, path: str) -> None: ...                          # optional

``causal_graph`` returns an adjacency over the world's observed variables in the order of
``Task.obs_names + Task.outcome_names``; ``adj[i, j]`` means i -> j. Predictions must be
deterministic given the task (the evaluator may run them in other processes). Trained state is
saved with ``torch.save`` / plain files and loaded with ``torch.load(..., weights_only=True)``:
never pickle.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from causalworld_bench.tasks import Task


@runtime_checkable
class Agent(Protocol):
    """Answers the queries of a few-shot task."""

    def predict(self, task: Task) -> np.ndarray:
        """One answer per query of ``task`` (``task.answers`` is ``None``)."""
        ...


@runtime_checkable
class MetaLearner(Agent, Protocol):
    def meta_train(self, train_tasks: Sequence[Task], **kwargs: Any) -> dict | None:
        """Learn from meta-training tasks (answers included); may return a training history."""
        ...


@runtime_checkable
class GraphAgent(Agent, Protocol):
    def causal_graph(self, world: str) -> np.ndarray | None:
        """Boolean adjacency over the world's observed variables, or None if unknown."""
        ...


class AgentLoadError(ValueError):
    """An agent reference does not resolve to a class implementing the Agent protocol."""


def load_agent(ref: str, **kwargs: Any) -> Agent:
    """Instantiate ``module:Class`` with keyword arguments and check it implements :class:`Agent`."""
    module_name, sep, class_name = ref.partition(":")
    if not sep or not module_name or not class_name:
        raise AgentLoadError(f"agent reference {ref!r} must look like 'package.module:ClassName'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise AgentLoadError(f"cannot import agent module {module_name!r}: {exc}") from None
    cls = getattr(module, class_name, None)
    if cls is None:
        raise AgentLoadError(f"module {module_name!r} has no attribute {class_name!r}")
    try:
        agent = cls(**kwargs)
    except TypeError as exc:
        raise AgentLoadError(f"cannot construct {ref} with {kwargs}: {exc}") from None
    if not isinstance(agent, Agent) or not callable(getattr(agent, "predict", None)):
        raise AgentLoadError(f"{ref} does not implement the Agent protocol (no predict(task) method)")
    return agent


def agent_name(agent: Agent) -> str:
    """The agent's declared ``name`` attribute, or its class name."""
    return str(getattr(agent, "name", type(agent).__name__))
