"""Prototypical Networks (Snell et al., 2017) for discrete targets, a CNP for continuous ones.

For a binary/categorical target:

* an embedding network f maps every support example (observational features) and every query
  (plugged-in features, do one-hot, factual outcomes, one-hots; see
  :class:`baselines.features.FeatureSpace`) into the same space;
* the prototype of class c is the mean embedding of the support examples labelled c, shrunk
  toward a learned per-(world, target, class) prior prototype p_c:
  ``proto_c = (sum_{i: y_i = c} f(x_i) + w p_c) / (n_c + w)``. A class that is missing from the
  support set (or a 0-shot task) falls back to its prior prototype instead of having no prototype;
* a query's class logits are minus its squared Euclidean distances to the prototypes, trained by
  cross-entropy over episodes of the training tasks.

Prototypes have no meaning for a continuous target, so :class:`ProtoNetAgent` delegates those tasks
to a :class:`baselines.cnp.CNPAgent` meta-trained on the continuous training tasks, and so answers
every task.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import trange

from baselines.cnp import CNPAgent
from baselines.features import DISCRETE, FeatureSpace, collate, encode_task, seed_everything, torch_threads
from baselines.pooled_mlp import mlp
from causalworld_bench.tasks import Task


class ProtoNet(nn.Module):
    def __init__(self, space: FeatureSpace, hidden: int, emb_dim: int, depth: int, prior_weight: float) -> None:
        super().__init__()
        self.embed = mlp(space.n_features, hidden, depth, emb_dim)
        self.prior = nn.Parameter(torch.zeros(space.W, space.O, space.C, emb_dim))  # fallback prototypes
        nn.init.normal_(self.prior, std=0.1)
        self.prior_weight = prior_weight

    def forward(self, sx: torch.Tensor, sy_cls: torch.Tensor, qx: torch.Tensor, world: torch.Tensor,
                target: torch.Tensor) -> torch.Tensor:
        """sx (B, k, F), sy_cls (B, k), qx (B, Q, F) -> class logits (B, Q, C)."""
        prior = self.prior[world, target]  # (B, C, E)
        C = prior.shape[1]
        onehot = F.one_hot(sy_cls.clamp(min=0), C).to(sx.dtype) * (sy_cls >= 0)[..., None]  # (B, k, C)
        sums = onehot.transpose(1, 2) @ self.embed(sx) if sx.shape[1] else torch.zeros_like(prior)
        counts = onehot.sum(1)[..., None]  # (B, C, 1)
        protos = (sums + self.prior_weight * prior) / (counts + self.prior_weight)
        return -torch.cdist(self.embed(qx), protos) ** 2


class ProtoNetAgent:
    name = "protonet"

    def __init__(
        self,
        hidden: int = 128,
        emb_dim: int = 32,
        depth: int = 2,
        prior_weight: float = 1.0,
        epochs: int = 150,
        batch_tasks: int = 32,
        lr: float = 1e-3,
        seed: int = 0,
        threads: int | None = 1,
        progress: bool = True,
        cnp: dict | None = None,
    ) -> None:
        self.config = {"hidden": hidden, "emb_dim": emb_dim, "depth": depth, "prior_weight": prior_weight}
        self.epochs, self.batch_tasks, self.lr = epochs, batch_tasks, lr
        self.seed, self.threads, self.progress = seed, threads, progress
        self.space: FeatureSpace | None = None
        self.model: ProtoNet | None = None
        # continuous targets: a CNP (keyword arguments passed through)
        self.cnp = CNPAgent(**{"seed": seed, "threads": threads, "progress": progress, **(cnp or {})})
        self.has_cnp = False

    def _build(self, space: FeatureSpace) -> None:
        self.space = space
        c = self.config
        self.model = ProtoNet(space, c["hidden"], c["emb_dim"], c["depth"], c["prior_weight"])

    def meta_train(self, train_tasks: Sequence[Task], progress: bool | None = None, **_: object) -> dict:
        if progress is not None:
            self.progress = progress
        space = FeatureSpace.fit(train_tasks)  # one space for both models, covering every world
        discrete = [t for t in train_tasks if t.target_type in DISCRETE]
        continuous = [t for t in train_tasks if t.target_type not in DISCRETE]
        history: dict = {}
        if continuous:
            history["cnp"] = self.cnp.meta_train(continuous, progress=self.progress, space=space)
            self.has_cnp = True
        if discrete:
            with torch_threads(self.threads):
                history["loss"] = self._meta_train(discrete, space)
        return history

    def _meta_train(self, train_tasks: Sequence[Task], space: FeatureSpace) -> list[float]:
        seed_everything(self.seed)
        rng = np.random.default_rng(self.seed)
        self._build(space)
        encoded = [encode_task(self.space, t) for t in train_tasks]
        max_k = min(e["sx"].shape[0] for e in encoded)
        opt = torch.optim.Adam(self.model.parameters(), lr=self.lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=self.epochs)
        losses: list[float] = []
        self.model.train()
        for _epoch in (bar := trange(self.epochs, desc=self.name, disable=not self.progress)):
            order = rng.permutation(len(encoded))
            total, n = 0.0, 0
            for i in range(0, len(order), self.batch_tasks):
                batch = collate([encoded[j] for j in order[i : i + self.batch_tasks]], int(rng.integers(0, max_k + 1)), rng)
                logits = self.model(batch["sx"], batch["sy_cls"], batch["qx"], batch["world"], batch["target"])
                m = batch["qmask"]
                loss = F.cross_entropy(logits[m], batch["qy_cls"][m])
                opt.zero_grad()
                loss.backward()
                opt.step()
                total, n = total + loss.item(), n + 1
            sched.step()
            losses.append(total / n)
            bar.set_postfix(loss=f"{losses[-1]:.4f}")
        self.model.eval()
        return losses

    @torch.no_grad()
    def predict(self, task: Task) -> np.ndarray:
        if task.target_type not in DISCRETE:
            if not self.has_cnp:
                raise RuntimeError(f"{self.name}: no continuous training tasks were seen; cannot answer {task.task_id}")
            return self.cnp.predict(task)
        if self.model is None:
            raise RuntimeError(f"{self.name}: call meta_train or load first")
        torch.manual_seed(self.seed)
        batch = collate([encode_task(self.space, task)], task.shots)
        with torch_threads(self.threads):
            logits = self.model(batch["sx"], batch["sy_cls"], batch["qx"], batch["world"], batch["target"])[0]
        head = torch.cat([logits.new_zeros(len(logits), 1), logits], 1)
        return self.space.decode(task, head.numpy())

    def save(self, path: str) -> None:
        state = {"config": self.config, "space": None, "model": None, "cnp": None}
        if self.model is not None:
            state.update(space=self.space.to_dict(), model=self.model.state_dict())
        if self.has_cnp:
            state["cnp"] = {"config": self.cnp.config, "space": self.cnp.space.to_dict(), "model": self.cnp.model.state_dict()}
        torch.save(state, path)

    def load(self, path: str) -> None:
        state = torch.load(path, weights_only=True)
        self.config = dict(state["config"])
        if state["model"] is not None:
            self._build(FeatureSpace.from_dict(state["space"]))
            self.model.load_state_dict(state["model"])
            self.model.eval()
        self.has_cnp = state["cnp"] is not None
        if self.has_cnp:
            self.cnp.config = dict(state["cnp"]["config"])
            self.cnp._build(FeatureSpace.from_dict(state["cnp"]["space"]))
            self.cnp.model.load_state_dict(state["cnp"]["model"])
            self.cnp.model.eval()
