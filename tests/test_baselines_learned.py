"""The learned baselines: loading, meta-training, shapes, determinism, persistence (fast, synthetic tasks)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from causalworld_bench.agents import load_agent
from causalworld_bench.tasks import FAMILIES, Task, correct

# two fake worlds with different numbers of variables: agents must pad / handle them per world
WORLDS = {
    "alpha": (("a0", "a1", "a2"), ("dist", "hit")),
    "beta": (("b0", "b1", "b2", "b3", "b4"), ("angle", "height", "fell")),
}


def make_task(world: str, family: str, target: str, seed: int, k: int = 6, q: int = 5, split: str = "train",
              obs_mode: str = "symbols") -> Task:
    """A task whose outcomes are linear (continuous) / thresholded linear (binary) in the properties,
    with a task-specific slope: the kind of hidden mechanism constant a meta-learner must adapt to."""
    rng = np.random.default_rng(seed)
    obs, outs = WORLDS[world]
    d = len(obs)
    slope = 1.0 + rng.uniform(-0.5, 0.5)
    w = np.arange(1, d + 1) / d

    def outcomes(x: np.ndarray) -> np.ndarray:
        cont = slope * x @ w
        cols = [cont + j for j in range(len(outs) - 1)] + [(cont > slope * w.sum() / 2).astype(float)]
        return np.stack(cols, 1)

    sx, qx = rng.uniform(0, 1, (k, d)), rng.uniform(0, 1, (q, d))
    do_var = None if family == "prediction" else obs[int(rng.integers(d))]
    qdo = np.full(q, np.nan) if do_var is None else rng.uniform(0, 1, q)
    x_after = qx.copy()
    if do_var is not None:
        x_after[:, obs.index(do_var)] = qdo
    factual = outcomes(qx) if family == "counterfactual" else np.full((q, len(outs)), np.nan)
    ti = outs.index(target)
    binary = ti == len(outs) - 1
    return Task(
        task_id=f"{world}/{family}/{split}/{seed:05d}", world=world, family=family, split=split, obs_mode=obs_mode,
        target=target, target_type="binary" if binary else "continuous", tolerance=None if binary else 0.05,
        obs_names=obs, outcome_names=outs, do_variable=do_var,
        support_x=sx, support_outcomes=outcomes(sx), query_x=qx, query_do=qdo, query_factual=factual,
        answers=outcomes(x_after)[:, ti],
    )


def make_tasks(n_per_cell: int = 2, seed0: int = 0, split: str = "train") -> list[Task]:
    tasks, seed = [], seed0
    for world, (_, outs) in WORLDS.items():
        for family in FAMILIES:
            for target in (outs[0], outs[-1]):
                for _ in range(n_per_cell):
                    tasks.append(make_task(world, family, target, seed, split=split))
                    seed += 1
    return tasks


TINY = {
    "baselines.ridge:RidgeAgent": {},
    "baselines.pooled_mlp:PooledMLPAgent": {"epochs": 3, "hidden": 16},
    "baselines.maml:MAMLAgent": {"epochs": 1, "hidden": 16, "inner_steps": 2, "meta_batch": 4},
    "baselines.cnp:CNPAgent": {"epochs": 3, "hidden": 16, "r_dim": 8},
    "baselines.protonets:ProtoNetAgent": {"epochs": 3, "hidden": 16, "emb_dim": 8, "cnp": {"epochs": 2, "hidden": 16}},
    "baselines.incontext:InContextTransformerAgent": {"epochs": 3, "d_model": 16, "d_ff": 32, "n_heads": 2},
}


@pytest.fixture(scope="module")
def train_tasks() -> list[Task]:
    return make_tasks(2)


@pytest.fixture(scope="module")
def test_tasks() -> list[Task]:
    return [t.without_answers() for t in make_tasks(1, seed0=1000, split="test_a")]


@pytest.fixture(scope="module", params=sorted(TINY))
def trained(request, train_tasks):
    agent = load_agent(request.param, progress=False, **TINY[request.param])
    history = agent.meta_train(train_tasks)
    assert history is None or isinstance(history, dict)
    return request.param, agent


def test_agents_answer_every_task_finitely_and_deterministically(trained, test_tasks):
    ref, agent = trained
    assert isinstance(type(agent).name, str) and type(agent).name
    for task in test_tasks:
        for k in (0, 1, task.shots):
            t = task.with_shots(k)
            pred = agent.predict(t)
            assert pred.shape == (t.n_queries,), (ref, t.task_id, k)
            assert np.all(np.isfinite(pred)), (ref, t.task_id, k)
            np.testing.assert_array_equal(pred, agent.predict(t))
            if t.target_type == "binary":
                assert set(np.unique(pred)) <= {0.0, 1.0}


def test_save_load_round_trip(trained, test_tasks, tmp_path):
    ref, agent = trained
    path = tmp_path / "agent.pt"
    agent.save(str(path))
    fresh = load_agent(ref, progress=False, **TINY[ref])
    fresh.load(str(path))
    for task in test_tasks:
        np.testing.assert_array_equal(agent.predict(task), fresh.predict(task))


def test_other_observation_modes_are_refused(trained, test_tasks):
    _, agent = trained
    with pytest.raises(ValueError, match="symbols"):
        agent.predict(dataclasses.replace(test_tasks[0], obs_mode="pixels"))


def test_meta_training_is_reproducible(train_tasks, test_tasks):
    ref = "baselines.incontext:InContextTransformerAgent"
    preds = []
    for _ in range(2):
        agent = load_agent(ref, progress=False, **TINY[ref])
        agent.meta_train(train_tasks)
        preds.append(np.concatenate([agent.predict(t) for t in test_tasks]))
    np.testing.assert_array_equal(*preds)


def test_maml_second_and_first_order_both_train(train_tasks, test_tasks):
    from baselines.maml import MAMLAgent

    params = {}
    for first_order in (False, True):
        agent = MAMLAgent(first_order=first_order, progress=False, **TINY["baselines.maml:MAMLAgent"])
        history = agent.meta_train(train_tasks)
        assert np.isfinite(history["query_loss"]).all()
        params[first_order] = torch.cat([p.detach().flatten() for p in agent.model.parameters()])
        assert all(np.isfinite(agent.predict(t)).all() for t in test_tasks)
    # same seed and data: the two meta-gradients differ only by the second-order terms
    assert not torch.allclose(params[False], params[True])


def test_maml_adapts_at_test_time(train_tasks, test_tasks):
    from baselines.maml import MAMLAgent

    agent = MAMLAgent(progress=False, **TINY["baselines.maml:MAMLAgent"])
    agent.meta_train(train_tasks)
    task = next(t for t in test_tasks if t.target_type == "continuous")
    assert not np.allclose(agent.predict(task.with_shots(0)), agent.predict(task))


def test_ridge_recovers_a_linear_task():
    from baselines.ridge import RidgeAgent

    agent = RidgeAgent(progress=False)
    for family in FAMILIES:
        task = make_task("beta", family, "angle", seed=5, k=10, q=20).without_answers()
        truth = make_task("beta", family, "angle", seed=5, k=10, q=20).answers
        assert correct(agent.predict(task), truth, "continuous", 0.02).all(), family
    # a thresholded linear binary target: the logistic regression gets most queries right
    task = make_task("alpha", "prediction", "hit", seed=3, k=30, q=40)
    assert correct(agent.predict(task.without_answers()), task.answers, "binary", None).mean() >= 0.85


def test_ridge_zero_shot_uses_the_pooled_prior(train_tasks):
    from baselines.ridge import RidgeAgent

    agent = RidgeAgent(progress=False)
    agent.meta_train(train_tasks)
    task = make_task("alpha", "prediction", "dist", seed=77).with_shots(0).without_answers()
    prior = np.mean([t.support_y.mean() for t in train_tasks if t.world == "alpha" and t.target == "dist"])
    np.testing.assert_allclose(agent.predict(task), prior)


def test_unseen_world_is_a_clear_error(trained):
    ref, agent = trained
    task = dataclasses.replace(make_task("alpha", "prediction", "hit", seed=9).without_answers(), world="gamma")
    if ref.endswith("RidgeAgent"):  # fits each task alone: any world is fine
        assert np.isfinite(agent.predict(task)).all()
        return
    with pytest.raises(ValueError, match="not seen in meta_train"):
        agent.predict(task)
