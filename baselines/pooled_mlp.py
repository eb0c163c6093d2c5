"""An MLP meta-trained on every training query pooled together, with no per-task adaptation.

The network sees one query at a time: the plugged-in properties, which variable was intervened
on, the factual outcomes of a counterfactual query, and one-hots of world, target and family
(:class:`baselines.features.FeatureSpace`). The support set is never read at test time, so the
hidden mechanism constants of a task (friction, gravity scale, ...) are averaged over. Training
data are every answered query of every training task, plus every support example as an
observational sample of its task's target.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from tqdm.auto import trange

from baselines.features import FeatureSpace, mixed_head_loss, pooled_examples, seed_everything, torch_threads
from causalworld_bench.tasks import Task


def mlp(n_in: int, hidden: int, depth: int, n_out: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [nn.Linear(n_in if i == 0 else hidden, hidden), nn.ReLU()]
    layers.append(nn.Linear(hidden if depth else n_in, n_out))
    return nn.Sequential(*layers)


class PooledMLPAgent:
    name = "pooled-mlp"

    def __init__(
        self,
        hidden: int = 128,
        depth: int = 3,
        epochs: int = 60,
        batch_size: int = 256,
        lr: float = 2e-3,
        weight_decay: float = 1e-4,
        seed: int = 0,
        threads: int | None = 1,
        progress: bool = True,
    ) -> None:
        self.config = {"hidden": hidden, "depth": depth}
        self.epochs, self.batch_size, self.lr, self.weight_decay = epochs, batch_size, lr, weight_decay
        self.seed, self.threads, self.progress = seed, threads, progress
        self.space: FeatureSpace | None = None
        self.model: nn.Sequential | None = None

    def _build(self, space: FeatureSpace) -> None:
        self.space = space
        self.model = mlp(space.n_features, self.config["hidden"], self.config["depth"], space.n_out)

    def meta_train(self, train_tasks: Sequence[Task], progress: bool | None = None, **_: object) -> dict:
        if progress is not None:
            self.progress = progress
        with torch_threads(self.threads):
            return self._meta_train(train_tasks)

    def _meta_train(self, train_tasks: Sequence[Task]) -> dict:
        gen = seed_everything(self.seed)
        self._build(FeatureSpace.fit(train_tasks))
        data = {k: torch.from_numpy(v) for k, v in pooled_examples(self.space, train_tasks).items()}
        n = len(data["x"])
        opt = torch.optim.AdamW(self.model.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=self.epochs)
        history: dict[str, list[float]] = {"loss": []}
        self.model.train()
        for _epoch in (bar := trange(self.epochs, desc=self.name, disable=not self.progress)):
            perm = torch.randperm(n, generator=gen)
            total = 0.0
            for i in range(0, n, self.batch_size):
                idx = perm[i : i + self.batch_size]
                out = self.model(data["x"][idx])
                loss = mixed_head_loss(out, data["y_cont"][idx], data["y_cls"][idx], data["base"][idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
            sched.step()
            history["loss"].append(total / n)
            bar.set_postfix(loss=f"{history['loss'][-1]:.4f}")
        self.model.eval()
        return history

    @torch.no_grad()
    def predict(self, task: Task) -> np.ndarray:
        if self.model is None:
            raise RuntimeError(f"{self.name}: call meta_train or load first")
        torch.manual_seed(self.seed)
        x = torch.from_numpy(self.space.query_features(task))
        with torch_threads(self.threads):
            out = self.model(x).numpy()
        return self.space.decode(task, out, self.space.query_base(task))

    def save(self, path: str) -> None:
        torch.save({"config": self.config, "space": self.space.to_dict(), "model": self.model.state_dict()}, path)

    def load(self, path: str) -> None:
        state = torch.load(path, weights_only=True)
        self.config = dict(state["config"])
        self._build(FeatureSpace.from_dict(state["space"]))
        self.model.load_state_dict(state["model"])
        self.model.eval()
