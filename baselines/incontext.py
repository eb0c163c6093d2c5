"""An in-context learner: a small transformer encoder reads the support set and the queries as tokens.

Tokens (all projected to ``d_model``):

* one per **support example**: its observational features (see
  :class:`baselines.features.FeatureSpace`), all its outcomes, and its target value as
  ``[standardised value | class one-hot]``;
* one per **query**: its features, which carry the plugged-in properties, the intervened
  variable (one-hot; its value is the plugged-in one), the factual outcomes of a counterfactual
  query and one-hots of world, target and family.

A learned type embedding tells the two apart. Attention is masked so that support tokens attend to
the support set only and each query attends to the support set and itself: a query's answer never
depends on which other queries were asked. The head reads the query tokens. Meta-training
minimises the query loss over batches of training tasks with a random support size 0..max; at
test time the model adapts in context, without gradient steps.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from tqdm.auto import trange

from baselines.features import FeatureSpace, batched_loss, collate, encode_task, seed_everything, torch_threads
from causalworld_bench.tasks import Task


class InContextTransformer(nn.Module):
    def __init__(self, space: FeatureSpace, d_model: int, n_heads: int, n_layers: int, d_ff: int) -> None:
        super().__init__()
        self.support_in = nn.Linear(space.n_features + space.O + space.n_out, d_model)
        self.query_in = nn.Linear(space.n_features, d_model)
        self.type_emb = nn.Parameter(torch.zeros(2, d_model))  # 0 = support token, 1 = query token
        layer = nn.TransformerEncoderLayer(d_model, n_heads, d_ff, dropout=0.0, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, space.n_out)

    @staticmethod
    def attention_mask(k: int, q: int) -> torch.Tensor:
        """(k+q, k+q) bool, True = may NOT attend: everyone sees the support; a query also sees itself."""
        mask = torch.ones(k + q, k + q, dtype=torch.bool)
        mask[:, :k] = False
        idx = torch.arange(k, k + q)
        mask[idx, idx] = False
        return mask

    def forward(self, sx: torch.Tensor, so: torch.Tensor, sy: torch.Tensor, qx: torch.Tensor) -> torch.Tensor:
        """sx (B, k, F), so (B, k, O), sy (B, k, 1 + C), qx (B, Q, F) -> head (B, Q, 1 + C)."""
        k, q = sx.shape[1], qx.shape[1]
        tokens = torch.cat([
            self.support_in(torch.cat([sx, so, sy], -1)) + self.type_emb[0],
            self.query_in(qx) + self.type_emb[1],
        ], 1)
        h = self.encoder(tokens, mask=self.attention_mask(k, q))
        return self.head(self.norm(h[:, k:]))


class InContextTransformerAgent:
    name = "incontext-transformer"

    def __init__(
        self,
        d_model: int = 64,
        n_heads: int = 4,
        n_layers: int = 2,
        d_ff: int = 128,
        epochs: int = 150,
        batch_tasks: int = 32,
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
        seed: int = 0,
        threads: int | None = 1,
        progress: bool = True,
    ) -> None:
        self.config = {"d_model": d_model, "n_heads": n_heads, "n_layers": n_layers, "d_ff": d_ff}
        self.epochs, self.batch_tasks, self.lr, self.weight_decay = epochs, batch_tasks, lr, weight_decay
        self.seed, self.threads, self.progress = seed, threads, progress
        self.space: FeatureSpace | None = None
        self.model: InContextTransformer | None = None

    def _build(self, space: FeatureSpace) -> None:
        self.space = space
        self.model = InContextTransformer(space, **self.config)

    def meta_train(self, train_tasks: Sequence[Task], progress: bool | None = None, **_: object) -> dict:
        if progress is not None:
            self.progress = progress
        with torch_threads(self.threads):
            return self._meta_train(train_tasks)

    def _meta_train(self, train_tasks: Sequence[Task]) -> dict:
        seed_everything(self.seed)
        rng = np.random.default_rng(self.seed)
        self._build(FeatureSpace.fit(train_tasks))
        encoded = [encode_task(self.space, t) for t in train_tasks]
        max_k = min(e["sx"].shape[0] for e in encoded)
        opt = torch.optim.AdamW(self.model.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=self.epochs)
        history: dict[str, list[float]] = {"loss": []}
        self.model.train()
        for _epoch in (bar := trange(self.epochs, desc=self.name, disable=not self.progress)):
            order = rng.permutation(len(encoded))
            total, n = 0.0, 0
            for i in range(0, len(order), self.batch_tasks):
                batch = collate([encoded[j] for j in order[i : i + self.batch_tasks]], int(rng.integers(0, max_k + 1)), rng)
                loss = batched_loss(self.model(batch["sx"], batch["so"], batch["sy"], batch["qx"]), batch)
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
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
            head = self.model(batch["sx"], batch["so"], batch["sy"], batch["qx"])[0]
        return self.space.decode(task, head.numpy(), e["qbase"])

    def save(self, path: str) -> None:
        torch.save({"config": self.config, "space": self.space.to_dict(), "model": self.model.state_dict()}, path)

    def load(self, path: str) -> None:
        state = torch.load(path, weights_only=True)
        self.config = dict(state["config"])
        self._build(FeatureSpace.from_dict(state["space"]))
        self.model.load_state_dict(state["model"])
        self.model.eval()
