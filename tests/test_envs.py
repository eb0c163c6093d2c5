"""The gymnasium environments: registered, API-checked, deterministic, picklable, vectorisable, strict."""

from __future__ import annotations

import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.utils.env_checker import data_equivalence

from causalworld_bench import ENV_IDS, list_worlds, make_world
from causalworld_bench.envs import intervention_id, observed_graph, shd
from causalworld_bench.envs.spaces import from_unit, to_unit, unit_bounds

#: Warnings check_env may raise without failing the test, as (message regex, why). Empty: none is allowed.
ALLOWED_WARNINGS: tuple[tuple[str, str], ...] = ()


def test_every_world_and_env_is_registered() -> None:
    assert [intervention_id(w) for w in list_worlds()] + [
        "CausalWorldBench/FewShot-v0", "CausalWorldBench/Experiment-v0"
    ] == ENV_IDS
    assert all(env_id in gym.registry for env_id in ENV_IDS)


@pytest.fixture(params=ENV_IDS)
def env_id(request: pytest.FixtureRequest) -> str:
    return request.param


def _check_strictly(env: gym.Env) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for pattern, _why in ALLOWED_WARNINGS:
            warnings.filterwarnings("ignore", message=pattern)
        check_env(env.unwrapped)


def test_check_env(env_id: str) -> None:
    env = gym.make(env_id)
    _check_strictly(env)
    env.close()


def test_check_env_pixels() -> None:
    env = gym.make(intervention_id("ramp"), obs_mode="pixels", render_mode="rgb_array")
    _check_strictly(env)
    obs, _ = env.reset(seed=0)
    assert obs["pixels"].shape == (64, 64, 3) and obs["pixels"].dtype == np.uint8
    frame = env.render()
    assert frame.ndim == 3 and frame.dtype == np.uint8
    env.close()


def _random_steps(env_id: str, n: int) -> None:
    env = gym.make(env_id)
    env.reset(seed=3)
    env.action_space.seed(3)
    for _ in range(n):
        obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        assert obs in env.observation_space and np.isfinite(reward)
        if terminated or truncated:
            env.reset()
    env.close()
    env.close()  # twice is fine


def test_random_steps(env_id: str) -> None:
    _random_steps(env_id, 200)


@pytest.mark.slow
def test_thousand_random_steps(env_id: str) -> None:
    _random_steps(env_id, 1000)


def _rollout(env: gym.Env, actions: list, seed: int | None = None) -> list:
    out = [env.reset(seed=seed)] if seed is not None else []
    for action in actions:
        step = env.step(action)
        out.append(step)
        if step[2] or step[3]:
            out.append(env.reset())
    return out


def _actions(env_id: str, n: int) -> list:
    space = gym.make(env_id).action_space
    space.seed(11)
    return [space.sample() for _ in range(n)]


def test_same_seed_same_trajectory(env_id: str) -> None:
    actions = _actions(env_id, 30)
    first, second = gym.make(env_id), gym.make(env_id)
    assert data_equivalence(_rollout(first, actions, 5), _rollout(second, actions, 5), exact=True)
    assert not data_equivalence(_rollout(first, actions, 5)[0], _rollout(second, actions, 6)[0])
    first.close()
    second.close()


def test_pickle_round_trip(env_id: str) -> None:
    env = gym.make(env_id)
    actions = _actions(env_id, 12)
    _rollout(env, actions[:4], seed=2)
    clone = pickle.loads(pickle.dumps(env))
    assert data_equivalence(_rollout(env, actions[4:]), _rollout(clone, actions[4:]), exact=True)
    env.close()
    clone.close()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_make_vec(env_id: str, mode: str) -> None:
    envs = gym.make_vec(env_id, num_envs=2, vectorization_mode=mode)
    envs.reset(seed=0)
    envs.action_space.seed(0)
    for _ in range(12):
        obs, reward, _, _, _ = envs.step(envs.action_space.sample())
        assert obs in envs.observation_space and reward.shape == (2,)
    envs.close()


def _bad_actions(space: gym.Space) -> list:
    if isinstance(space, gym.spaces.Box):
        return [np.full(space.shape, np.nan, np.float32), np.full(space.shape, 1.5, np.float32),
                np.zeros(space.shape[0] + 1, np.float32)]
    good = space.sample()
    return [good | {"value": np.array([np.nan], np.float32)}, good | {"value": np.array([-2.0], np.float32)},
            good | {"variable": space["variable"].n}, good | {"graph": np.full(space["graph"].shape, 2)},
            {"variable": 0}]


def test_bad_actions_raise(env_id: str) -> None:
    env = gym.make(env_id).unwrapped
    env.reset(seed=0)
    for action in _bad_actions(env.action_space):
        with pytest.raises(ValueError):
            env.step(action)
    env.close()


def test_unknown_keyword_raises(env_id: str) -> None:
    with pytest.raises(TypeError):
        gym.make(env_id, no_such_keyword=1)


def test_bad_keyword_values_raise() -> None:
    for env_id, kwargs in [
        (intervention_id("ramp"), {"obs_mode": "state"}),
        ("CausalWorldBench/FewShot-v0", {"family": "nope"}),
        ("CausalWorldBench/FewShot-v0", {"shots": 11}),
        ("CausalWorldBench/Experiment-v0", {"budget": 0}),
        ("CausalWorldBench/Experiment-v0", {"world": "nope"}),
    ]:
        with pytest.raises(ValueError):
            gym.make(env_id, **kwargs)


def test_intervention_goal_is_reachable_and_rewarded() -> None:
    env = gym.make(intervention_id("ramp")).unwrapped
    for seed in range(3):
        env.reset(seed=seed)
        # replay reset's draws (params, episode seed, goal variable, goal action) to recover the goal's action
        rng, _ = gym.utils.seeding.np_random(seed)
        env.world.sample_task_params(rng)
        rng.integers(0, 2**63 - 1)
        rng.integers(1)
        goal_action = rng.uniform(-1.0, 1.0, env.action_space.shape)  # float64 actions are accepted
        _, reward, terminated, _, info = env.step(np.zeros(env.action_space.shape, np.float32))
        assert reward == pytest.approx(-info["distance"] / 6.5) and terminated == (info["distance"] <= 0.1)
        _, reward, terminated, _, info = env.step(goal_action)
        assert terminated and info["is_success"] and info["distance"] == 0.0
    env.close()


def test_fewshot_rewards_the_true_answer() -> None:
    env = gym.make("CausalWorldBench/FewShot-v0", world="ramp", family="intervention", shots=3, queries=4).unwrapped
    env.reset(seed=0)
    task = env._task
    var = make_world("ramp").variable(task.target)
    lo, hi = var.space_a
    for q in range(task.n_queries):
        action = np.array([2 * (task.answers[q] - lo) / (hi - lo) - 1], np.float32)
        _, reward, terminated, _, info = env.step(action)
        assert reward == 1.0 and info["correct"] and terminated == (q == task.n_queries - 1)
    env.close()


def test_experiment_scores_the_graph() -> None:
    env = gym.make("CausalWorldBench/Experiment-v0", world="ramp", budget=2).unwrapped
    env.reset(seed=0)
    true = observed_graph(make_world("ramp"))
    for _ in range(2):
        _, reward, terminated, _, _ = env.step(env.action_space.sample())
        assert reward == 0.0 and not terminated
    graph = np.zeros(env.action_space["graph"].shape, np.int8)
    graph[: len(true), : len(true)] = true
    _, reward, terminated, _, info = env.step({"variable": 0, "value": np.zeros(1, np.float32), "graph": graph})
    assert reward == 0.0 and terminated and info["shd"] == 0
    env.close()


def test_observed_graph_marginalises_latents() -> None:
    world = make_world("ramp")
    true = observed_graph(world)
    edges = {(world.observed[i], world.observed[j]) for i, j in zip(*np.nonzero(true))}
    assert edges == {
        ("ramp_angle", "roll_distance"), ("release_distance", "roll_distance"),
        ("roll_distance", "reached_target"), ("target_distance", "reached_target"),
    }  # material -> release_distance, roll_distance adds no edge of its own
    assert shd(true.T, true) == 4 and shd(np.zeros_like(true), true) == 4 and shd(true | true.T, true) == 4


def test_scaling_round_trips_and_bins_categories() -> None:
    world = make_world("ramp")
    material = world.variable("material")  # categorical 0..2 in space A
    assert [from_unit(a, material) for a in (-1.0, -0.4, 0.0, 0.4, 1.0)] == [0.0, 0.0, 1.0, 2.0, 2.0]
    angle = world.variable("ramp_angle")
    lo, hi = unit_bounds(world, ["ramp_angle"])
    for a in (-1.0, -0.3, 0.0, 0.8, 1.0):
        assert to_unit([from_unit(a, angle)], lo, hi)[0] == pytest.approx(a, abs=1e-6)
