"""The fitted-SCM baselines: graph surgery and abduction by hand on a linear chain, graph helpers,
the fixed-graph ablations on real ramp tasks, PC and DAGMA graphs, agent loading, save/load."""

from __future__ import annotations

import numpy as np
import pytest

from baselines.fitted_scm import FittedSCM, FittedSCMAgent
from baselines.fixed_graph import EmptyGraphSCMAgent, FullGraphSCMAgent, RandomGraphSCMAgent, TrueGraphSCMAgent
from baselines.graph_utils import is_dag, observed_names, orient_to_dag, shd, tiers_allowed, true_observed_graph
from causalworld_bench.agents import load_agent
from causalworld_bench.tasks import Task, TaskSpec, correct, make_task
from causalworld_bench.worlds import make_world

# -- a 3-node linear chain a -> b -> c (a, b properties; c the outcome) ---------------------------
CHAIN = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=bool)


def chain_sample(rng: np.random.Generator, n: int, shift: float = 0.0) -> np.ndarray:
    """b = 2a + 1 + u_b, c = 3b - 1 + shift + u_c."""
    a = rng.uniform(-1, 1, n)
    b = 2 * a + 1 + 0.1 * rng.standard_normal(n)
    c = 3 * b - 1 + shift + 0.1 * rng.standard_normal(n)
    return np.stack([a, b, c], axis=1)


def chain_task(family: str, rng: np.random.Generator, shift: float = 0.0, k: int = 5, q: int = 4,
               do: str | None = "a", answers: bool = True) -> Task:
    support, query = chain_sample(rng, k, shift), chain_sample(rng, q, shift)
    query_do = rng.uniform(-1, 1, q) if family != "prediction" else np.full(q, np.nan)
    factual = query[:, 2:] if family == "counterfactual" else np.full((q, 1), np.nan)
    return Task(
        task_id=f"chain/{family}/{rng.integers(1 << 30)}", world="chain", family=family, split="train",
        obs_mode="symbols", target="c", target_type="continuous", tolerance=0.1, obs_names=("a", "b"),
        outcome_names=("c",), do_variable=None if family == "prediction" else do,
        support_x=support[:, :2], support_outcomes=support[:, 2:], query_x=query[:, :2], query_do=query_do,
        query_factual=factual, answers=query[:, 2] if answers and family == "prediction" else None,
    )


class ChainAgent(FittedSCMAgent):
    name = "chain-scm"

    def learn_graph(self, world, data, names, n_props):
        return CHAIN.copy()


@pytest.fixture(scope="module")
def chain_scm() -> FittedSCM:
    data = chain_sample(np.random.default_rng(0), 4000)
    return FittedSCM(("a", "b", "c"), CHAIN, regressor="linear").fit(data)


def test_chain_mechanisms_are_recovered(chain_scm):
    x = np.array([[0.0, 0.0, np.nan], [0.5, 1.0, np.nan]])
    np.testing.assert_allclose(chain_scm.f(1, x), [1.0, 2.0], atol=0.02)  # 2a + 1
    np.testing.assert_allclose(chain_scm.f(2, x), [-1.0, 2.0], atol=0.03)  # 3b - 1


def test_chain_prediction_propagates(chain_scm):
    known = np.array([[0.2, 1.5, np.nan]])
    out = chain_scm.answer(known, offsets=np.array([0.0, 0.0, 0.5]))
    np.testing.assert_allclose(out[0], [0.2, 1.5, 3 * 1.5 - 1 + 0.5], atol=0.03)


def test_chain_intervention_is_graph_surgery(chain_scm):
    # unit with a = 0.2, b = 1.5 (so u_b = 1.5 - 1.4 = 0.1), outcome unknown
    known = np.array([[0.2, 1.5, np.nan], [0.2, 1.5, np.nan]])
    # do(a = 1): b' = 2*1 + 1 + u_b = 3.1 (abducted property noise), c' = 3*3.1 - 1 + offset
    out = chain_scm.answer(known, do_index=0, do_values=np.array([1.0, -1.0]), offsets=np.array([0, 0, 0.5]))
    np.testing.assert_allclose(out[:, 1], [3.1, -0.9], atol=0.03)
    np.testing.assert_allclose(out[:, 2], [3 * 3.1 - 1 + 0.5, 3 * -0.9 - 1 + 0.5], atol=0.1)
    # do(b = 0): a keeps its value (not a descendant), c = 3*0 - 1 + offset
    out = chain_scm.answer(known[:1], do_index=1, do_values=np.array([0.0]), offsets=np.array([0, 0, 0.5]))
    np.testing.assert_allclose(out[0], [0.2, 0.0, -0.5], atol=0.03)


def test_chain_counterfactual_is_abduction(chain_scm):
    # factual a = 0.2, b = 1.5, c = 4.0 (u_c = 4.0 - 3.5 = 0.5): under do(a = 1)
    # b' = b + 2 * (1 - 0.2) = 3.1 and c' = c + 3 * (b' - b) = 8.8, whatever the task offset
    factual = np.array([[0.2, 1.5, 4.0]])
    out = chain_scm.answer(factual, do_index=0, do_values=np.array([1.0]), offsets=np.array([0, 0, 9.0]))
    np.testing.assert_allclose(out[0], [1.0, 3.1, 8.8], atol=0.05)
    # an intervention setting a to its factual value reproduces the factual sample
    same = chain_scm.answer(factual, do_index=0, do_values=np.array([0.2]))
    np.testing.assert_allclose(same[0], factual[0], atol=1e-9)


def test_chain_agent_adapts_per_task_and_answers_every_family():
    rng = np.random.default_rng(1)
    train = [chain_task(f, rng) for f in ("prediction", "intervention", "counterfactual") for _ in range(30)]
    agent = ChainAgent(regressor="linear", shrink=2.0)
    history = agent.meta_train(train)
    assert history["worlds"]["chain"]["shd"] is None  # not a packaged world: nothing to compare with
    assert agent.causal_graph("chain").tolist() == CHAIN.tolist()
    # a task whose mechanism of c is shifted by +1: the offset is the shrunk mean support residual
    task = chain_task("prediction", np.random.default_rng(2), shift=1.0, k=8, answers=False)
    pred = agent.predict(task)
    resid = task.support_outcomes[:, 0] - (3 * task.support_x[:, 1] - 1)
    expected = 3 * task.query_x[:, 1] - 1 + resid.sum() / (8 + 2.0)
    np.testing.assert_allclose(pred, expected, atol=0.05)
    task = chain_task("intervention", np.random.default_rng(3), answers=False)
    u_b = task.query_x[:, 1] - (2 * task.query_x[:, 0] + 1)
    resid = task.support_outcomes[:, 0] - (3 * task.support_x[:, 1] - 1)
    expected = 3 * (2 * task.query_do + 1 + u_b) - 1 + resid.sum() / (5 + 2.0)
    np.testing.assert_allclose(agent.predict(task), expected, atol=0.1)
    task = chain_task("counterfactual", np.random.default_rng(4), answers=False)
    expected = task.query_factual[:, 0] + 6 * (task.query_do - task.query_x[:, 0])
    np.testing.assert_allclose(agent.predict(task), expected, atol=0.05)


# -- graph helpers ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["ramp", "tower"])
def test_true_observed_graph_projects_latents_away(name):
    w = make_world(name)
    try:
        names = observed_names(name)
        adj = true_observed_graph(name, names)
        i = {n: k for k, n in enumerate(names)}
        latent = [v.name for v in w.variables if not v.observed]
        assert latent, "every world has a latent confounder"
        for a in names:  # declared edges between observed variables stay; every edge is a causal path
            for b in names:
                if b in w.graph.children(a):
                    assert adj[i[a], i[b]], (a, b)
                if b not in w.graph.descendants(a):
                    assert not adj[i[a], i[b]], (a, b)
        # children of a latent common cause (e.g. a colour and an outcome of one material) are no edge
        for l in latent:
            kids = [c for c in w.graph.children(l) if c in i]
            for a in kids:
                for b in kids:
                    if b not in w.graph.descendants(a):
                        assert not adj[i[a], i[b]]
        assert is_dag(adj)
    finally:
        w.close()


def test_shd_and_orientation():
    a = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=bool)
    assert shd(a, a) == 0 and shd(a, a.T) == 2 and shd(a, np.zeros_like(a)) == 2
    # a cycle 0 -> 1 -> 2 -> 0 plus tiers (node 2 is an outcome): 2 -> 0 is reversed to 0 -> 2
    cyc = np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]], dtype=bool)
    dag = orient_to_dag(cyc, np.zeros_like(cyc), n_props=2)
    assert is_dag(dag) and not (dag & ~tiers_allowed(2, 1)).any() and dag.sum() == 3
    und = orient_to_dag(np.zeros_like(cyc), np.ones_like(cyc), n_props=2)
    assert is_dag(und) and und.sum() == 3 and not und[2].any()


# -- real tasks of the ramp world -------------------------------------------------------------------
@pytest.fixture(scope="module")
def ramp_tasks():
    w = make_world("ramp")
    try:
        do_vars = tuple(w.intervenable)
        train = [make_task(w, TaskSpec("ramp", f, "train", i, 5, 10, 8, () if f == "prediction" else do_vars), "symbols")
                 for f in ("prediction", "intervention", "counterfactual") for i in range(5)]
        # do(ramp_angle): an unconfounded cause, where a correct graph fitted on observational data
        # is right; on the confounded release point its fitted mechanism absorbs the material's effect
        test = [make_task(w, TaskSpec("ramp", "intervention", "test_a", i, 5, 5, 12, ("ramp_angle",)), "symbols")
                for i in range(8)]
    finally:
        w.close()
    return train, test


def accuracy(agent, tasks) -> float:
    hits = [correct(agent.predict(t.without_answers()), t.answers, t.target_type, t.tolerance) for t in tasks]
    return float(np.mean(np.concatenate(hits)))


def test_true_graph_beats_empty_graph_on_interventions(ramp_tasks):
    train, test = ramp_tasks
    true_agent, empty_agent = TrueGraphSCMAgent(), EmptyGraphSCMAgent()
    assert true_agent.meta_train(train)["worlds"]["ramp"]["shd"] == 0
    empty_agent.meta_train(train)
    assert accuracy(true_agent, test) > accuracy(empty_agent, test) + 0.1


def test_fixed_graphs_are_dags_and_random_is_seeded(ramp_tasks):
    train, _ = ramp_tasks
    truth = true_observed_graph("ramp", train[0].obs_names + train[0].outcome_names)
    full, rand, rand2 = FullGraphSCMAgent(regressor="linear"), RandomGraphSCMAgent(regressor="linear"), RandomGraphSCMAgent(regressor="linear")
    for agent in (full, rand, rand2):
        agent.meta_train(train)
    for agent in (full, rand):
        g = agent.causal_graph("ramp")
        assert is_dag(g) and not (g & ~tiers_allowed(len(train[0].obs_names), len(train[0].outcome_names))).any()
    assert rand.causal_graph("ramp").sum() == truth.sum()
    assert np.array_equal(rand.causal_graph("ramp"), rand2.causal_graph("ramp"))


def test_save_load_round_trip(ramp_tasks, tmp_path):
    train, test = ramp_tasks
    agent = TrueGraphSCMAgent()
    agent.meta_train(train)
    agent.save(tmp_path / "agent")
    fresh = TrueGraphSCMAgent()
    fresh.load(tmp_path / "agent")
    for t in test[:3]:
        np.testing.assert_array_equal(agent.predict(t.without_answers()), fresh.predict(t.without_answers()))
    assert np.array_equal(fresh.causal_graph("ramp"), agent.causal_graph("ramp"))


def test_pc_learns_a_dag(ramp_tasks):
    pytest.importorskip("causallearn")
    from baselines.pc_scm import PCSCMAgent

    train, test = ramp_tasks
    agent = PCSCMAgent()
    history = agent.meta_train(train)
    g = agent.causal_graph("ramp")
    d, o = len(train[0].obs_names), len(train[0].outcome_names)
    assert g.shape == (d + o, d + o) and is_dag(g) and isinstance(history["worlds"]["ramp"]["shd"], int)
    assert not (g & ~tiers_allowed(d, o)).any()
    assert agent.predict(test[0].without_answers()).shape == (test[0].n_queries,)


def test_dagma_learns_a_dag(ramp_tasks):
    pytest.importorskip("dagma")
    from baselines.dagma_scm import DagmaSCMAgent

    train, test = ramp_tasks
    agent = DagmaSCMAgent(iterations=2000)
    history = agent.meta_train(train)
    g = agent.causal_graph("ramp")
    d, o = len(train[0].obs_names), len(train[0].outcome_names)
    assert g.shape == (d + o, d + o) and is_dag(g) and isinstance(history["worlds"]["ramp"]["shd"], int)
    assert not (g & ~tiers_allowed(d, o)).any()
    assert agent.predict(test[0].without_answers()).shape == (test[0].n_queries,)


@pytest.mark.parametrize("ref", [
    "baselines.fixed_graph:TrueGraphSCMAgent", "baselines.fixed_graph:EmptyGraphSCMAgent",
    "baselines.fixed_graph:FullGraphSCMAgent", "baselines.fixed_graph:RandomGraphSCMAgent",
    "baselines.pc_scm:PCSCMAgent", "baselines.dagma_scm:DagmaSCMAgent",
])
def test_agents_load_by_reference(ref):
    agent = load_agent(ref, regressor="linear")
    assert callable(agent.predict) and callable(agent.meta_train) and agent.causal_graph("ramp") is None
