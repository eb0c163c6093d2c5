"""Train stable-baselines3 PPO on one intervention environment and compare it with a random policy.

    pip install "causalworld-bench[rl]"
    python examples/ppo_intervention.py --env CausalWorldBench/Ramp-v0 --steps 10000 --out ppo.json

Both policies are evaluated on the same seeds (so the same tasks, units and goals). Reported per
policy: success rate (goal reached within the episode), mean distance to the goal after the first
action and at the end of the episode, mean episode length and mean return.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import PPO

import causalworld_bench  # noqa: F401  (registers the environments)

Policy = Callable[[dict, gym.Env], np.ndarray]


def evaluate(env_id: str, policy: Policy, seeds: range) -> dict[str, float]:
    """Run one episode per seed; the summary statistics of the runs."""
    env = gym.make(env_id)
    first, final, success, length, ret = [], [], [], [], []
    for seed in seeds:
        obs, _ = env.reset(seed=seed)
        env.action_space.seed(seed)
        done, total, steps = False, 0.0, 0
        while not done:
            obs, reward, terminated, truncated, info = env.step(policy(obs, env))
            total, steps, done = total + reward, steps + 1, terminated or truncated
            if steps == 1:
                first.append(info["distance"])
        final.append(info["distance"])
        success.append(bool(info["is_success"]))
        length.append(steps)
        ret.append(total)
    env.close()
    return {
        "success_rate": float(np.mean(success)),
        "first_step_distance": float(np.mean(first)),
        "final_distance": float(np.mean(final)),
        "episode_length": float(np.mean(length)),
        "return": float(np.mean(ret)),
    }


def train(env_id: str, steps: int, seed: int) -> PPO:
    """PPO with a small rollout buffer so that a few thousand steps already give many updates."""
    torch.set_num_threads(1)  # a tiny MLP: extra threads only contend with the physics
    model = PPO("MultiInputPolicy", gym.make(env_id), n_steps=256, batch_size=64, n_epochs=10,
                gamma=0.9, learning_rate=1e-3, seed=seed, device="cpu", verbose=0)
    return model.learn(total_timesteps=steps)


def compare(env_id: str, steps: int, episodes: int, seed: int) -> dict:
    """Train PPO, then evaluate it and a uniform random policy on the same held-out seeds."""
    model = train(env_id, steps, seed)
    seeds = range(10_000 + seed, 10_000 + seed + episodes)  # disjoint from anything PPO trained on
    return {
        "env": env_id,
        "train_steps": steps,
        "eval_episodes": episodes,
        "ppo": evaluate(env_id, lambda obs, _env: model.predict(obs, deterministic=True)[0], seeds),
        "random": evaluate(env_id, lambda _obs, env: env.action_space.sample(), seeds),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="CausalWorldBench/Ramp-v0")
    parser.add_argument("--steps", type=int, default=10_000, help="PPO training steps")
    parser.add_argument("--episodes", type=int, default=50, help="evaluation episodes per policy")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)
    results = compare(args.env, args.steps, args.episodes, args.seed)
    for name in ("ppo", "random"):
        print(name, json.dumps(results[name]))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()
