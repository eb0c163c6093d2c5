"""Conditional Neural Process (Garnelo et al., 2018): an amortised regressor that reads the support set.

* **encoder** h: each support example (its features, all its outcomes, and its target value)
  becomes a vector r_i = h(x_i, o_i, y_i);
* **aggregate**: r = mean_i r_i, with the number of support examples appended (r = 0 when k = 0),
  so the order of the support set does not matter;
* **decoder** g: each query's features (:class:`baselines.features.FeatureSpace`) with r become
  a Gaussian over a continuous target (mean and standard deviation; trained by negative
  log-likelihood, answered by the mean) and class logits over a discrete target (trained by
  cross-entropy, answered by the most likely class).

No gradient steps at test time: adaptation to a task's hidden mechanism constants is one forward
pass. Meta-training samples a random support size 0..max per batch of tasks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import trange

from baselines.features import FeatureSpace, collate, encode_task, seed_everything, torch_threads
from baselines.pooled_mlp import mlp
from causalworld_bench.tasks import Task


class CNP(nn.Module):
    def __init__(self, space: FeatureSpace, hidden: int, r_dim: int, depth: int) -> None:
        super().__init__()
        self.encoder = mlp(space.n_features + space.O + space.n_out, hidden, depth, r_dim)
        self.decoder = mlp(space.n_features + r_dim + 1, hidden, depth, 1 + space.n_out)  # mu, sigma, logits

    def forward(self, sx: torch.Tensor, so: torch.Tensor, sy: torch.Tensor, qx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """sx (B, k, F), so (B, k, O), sy (B, k, 1 + C), qx (B, Q, F) -> head (B, Q, 1 + C), sigma (B, Q)."""
        B, k, Q = sx.shape[0], sx.shape[1], qx.shape[1]
        if k:
            r = self.encoder(torch.cat([sx, so, sy], -1)).mean(1)
        else:
            r = qx.new_zeros(B, self.encoder[-1].out_features)
        count = torch.full((B, 1), math.log1p(k), dtype=qx.dtype)
        context = torch.cat([r, count], -1)[:, None, :].expand(B, Q, -1)
        out = self.decoder(torch.cat([qx, context], -1))
        sigma = 0.01 + F.softplus(out[..., 1])
        return torch.cat([out[..., :1], out[..., 2:]], -1), sigma


def cnp_loss(head: torch.Tensor, sigma: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Gaussian NLL on continuous query rows + cross-entropy on discrete ones (real rows only)."""
    m = batch["qmask"]
    cont = batch["continuous"][:, None].expand_as(m)
    loss = head.new_zeros(())
    rows = m & cont
    if rows.any():
        mu = head[..., 0] + batch["qbase"]
        loss = loss + F.gaussian_nll_loss(mu[rows], batch["qy_cont"][rows], sigma[rows] ** 2)
    rows = m & ~cont
    if rows.any():
        loss = loss + F.cross_entropy(head[..., 1:][rows], batch["qy_cls"][rows])
    return loss


class CNPAgent:
    name = "cnp"

    def __init__(
        self,
        hidden: int = 128,
        r_dim: int = 64,
        depth: int = 2,
        epochs: int = 150,
        batch_tasks: int = 32,
        lr: float = 1e-3,
        seed: int = 0,
        threads: int | None = 1,
        progress: bool = True,
    ) -> None:
        self.config = {"hidden": hidden, "r_dim": r_dim, "depth": depth}
        self.epochs, self.batch_tasks, self.lr = epochs, batch_tasks, lr
        self.seed, self.threads, self.progress = seed, threads, progress
        self.space: FeatureSpace | None = None
        self.model: CNP | None = None

    def _build(self, space: FeatureSpace) -> None:
        self.space = space
        self.model = CNP(space, self.config["hidden"], self.config["r_dim"], self.config["depth"])

    def meta_train(self, train_tasks: Sequence[Task], progress: bool | None = None, space: FeatureSpace | None = None,
                   **_: object) -> dict:
        """``space``: a FeatureSpace fitted elsewhere (e.g. on more tasks than these), else fit here."""
        if progress is not None:
            self.progress = progress
        with torch_threads(self.threads):
            return self._meta_train(train_tasks, space)

    def _meta_train(self, train_tasks: Sequence[Task], space: FeatureSpace | None) -> dict:
        seed_everything(self.seed)
        rng = np.random.default_rng(self.seed)
        self._build(space or FeatureSpace.fit(train_tasks))
        encoded = [encode_task(self.space, t) for t in train_tasks]
        max_k = min(e["sx"].shape[0] for e in encoded)
        opt = torch.optim.Adam(self.model.parameters(), lr=self.lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=self.epochs)
        history: dict[str, list[float]] = {"loss": []}
        self.model.train()
        for _epoch in (bar := trange(self.epochs, desc=self.name, disable=not self.progress)):
            order = rng.permutation(len(encoded))
            total, n = 0.0, 0
            for i in range(0, len(order), self.batch_tasks):
                batch = collate([encoded[j] for j in order[i : i + self.batch_tasks]], int(rng.integers(0, max_k + 1)), rng)
                head, sigma = self.model(batch["sx"], batch["so"], batch["sy"], batch["qx"])
                loss = cnp_loss(head, sigma, batch)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total, n = total + loss.item(), n + 1
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
        e = encode_task(self.space, task)
        batch = collate([e], task.shots)
        with torch_threads(self.threads):
            head, _ = self.model(batch["sx"], batch["so"], batch["sy"], batch["qx"])
        return self.space.decode(task, head[0].numpy(), e["qbase"])

    def save(self, path: str) -> None:
        torch.save({"config": self.config, "space": self.space.to_dict(), "model": self.model.state_dict()}, path)

    def load(self, path: str) -> None:
        state = torch.load(path, weights_only=True)
        self.config = dict(state["config"])
        self._build(FeatureSpace.from_dict(state["space"]))
        self.model.load_state_dict(state["model"])
        self.model.eval()
