"""Model-Agnostic Meta-Learning (Finn et al., 2017) in plain ``torch.func``.

One MLP maps a query's features (:class:`baselines.features.FeatureSpace`: plugged-in
properties, do one-hot, factual outcomes, world/target/family one-hots) to the shared
``1 + C`` head. For each task:

* **inner loop**: starting from the meta-parameters θ, take ``inner_steps`` SGD steps with
  learning rate ``inner_lr`` on the task's support set (observational samples of the target),
  ``θ'_i = θ'_{i-1} - α ∇ L_support(θ'_{i-1})``, through ``torch.func.functional_call``;
* **outer loop** (meta-training only): the loss of the adapted parameters θ' on the task's
  queries, whose answers training tasks carry, averaged over a meta-batch of tasks and
  minimised w.r.t. θ with Adam (``outer_lr``). Second-order MAML backpropagates through the
  inner updates (``create_graph=True``); ``first_order=True`` drops those second derivatives
  (FOMAML).

Tasks are meta-trained with a random number of support examples (1..max), so one initialisation
serves every shot count; with 0 shots the meta-initialisation answers unadapted.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torch.func import functional_call
from tqdm.auto import trange

from baselines.features import FeatureSpace, head_loss, seed_everything, torch_threads
from baselines.pooled_mlp import mlp
from causalworld_bench.tasks import Task


class MAMLAgent:
    name = "maml"

    def __init__(
        self,
        hidden: int = 64,
        depth: int = 2,
        inner_steps: int = 5,
        inner_lr: float = 0.01,
        outer_lr: float = 1e-3,
        meta_batch: int = 4,
        epochs: int = 20,
        first_order: bool = False,
        seed: int = 0,
        threads: int | None = 1,
        progress: bool = True,
    ) -> None:
        self.config = {"hidden": hidden, "depth": depth, "inner_steps": inner_steps, "inner_lr": inner_lr}
        self.outer_lr, self.meta_batch, self.epochs, self.first_order = outer_lr, meta_batch, epochs, first_order
        self.seed, self.threads, self.progress = seed, threads, progress
        self.space: FeatureSpace | None = None
        self.model: nn.Sequential | None = None

    def _build(self, space: FeatureSpace) -> None:
        self.space = space
        self.model = mlp(space.n_features, self.config["hidden"], self.config["depth"], space.n_out)

    # -- the inner loop: a few SGD steps on the support set, as a function of the parameters --------
    def adapt(self, params: dict[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor, continuous: bool,
              create_graph: bool) -> dict[str, torch.Tensor]:
        for _ in range(self.config["inner_steps"]):
            loss = head_loss(functional_call(self.model, params, (x,)), y, continuous)
            # create_graph=True keeps the graph of the gradient itself: the outer backward then
            # differentiates through it (second order). Without it the gradients are constants and
            # the outer gradient is the first-order approximation (FOMAML).
            grads = torch.autograd.grad(loss, list(params.values()), create_graph=create_graph)
            params = {name: p - self.config["inner_lr"] * g for (name, p), g in zip(params.items(), grads)}
        return params

    def _tensors(self, task: Task) -> dict:
        s = self.space
        y = s.encode_y(task, task.support_y)
        out = {
            "sx": torch.from_numpy(s.support_features(task)), "sy": torch.from_numpy(np.nan_to_num(y)),
            "qx": torch.from_numpy(s.query_features(task)), "qbase": torch.from_numpy(s.query_base(task)),
            "continuous": s.is_continuous(task),
        }
        if task.answers is not None:
            out["qy"] = torch.from_numpy(np.nan_to_num(s.encode_y(task, task.answers)))
        return out

    # -- the outer loop ------------------------------------------------------------------------------
    def meta_train(self, train_tasks: Sequence[Task], progress: bool | None = None, **_: object) -> dict:
        if progress is not None:
            self.progress = progress
        with torch_threads(self.threads):
            return self._meta_train(train_tasks)

    def _meta_train(self, train_tasks: Sequence[Task]) -> dict:
        seed_everything(self.seed)
        rng = np.random.default_rng(self.seed)
        self._build(FeatureSpace.fit(train_tasks))
        encoded = [self._tensors(t) for t in train_tasks]
        opt = torch.optim.Adam(self.model.parameters(), lr=self.outer_lr)
        history: dict[str, list[float]] = {"query_loss": []}
        for _epoch in (bar := trange(self.epochs, desc=f"{self.name}{' (FO)' if self.first_order else ''}",
                                     disable=not self.progress)):
            order = rng.permutation(len(encoded))
            total = 0.0
            for i in range(0, len(order), self.meta_batch):
                opt.zero_grad()
                batch = order[i : i + self.meta_batch]
                meta_loss = torch.zeros(())
                for j in batch:
                    e = encoded[j]
                    k = int(rng.integers(1, len(e["sx"]) + 1)) if len(e["sx"]) else 0  # support size 1..max
                    params = dict(self.model.named_parameters())
                    if k:
                        params = self.adapt(params, e["sx"][:k], e["sy"][:k], e["continuous"], create_graph=not self.first_order)
                    out = functional_call(self.model, params, (e["qx"],))
                    meta_loss = meta_loss + head_loss(out, e["qy"], e["continuous"], e["qbase"])
                meta_loss = meta_loss / len(batch)
                meta_loss.backward()
                opt.step()
                total += meta_loss.item() * len(batch)
            history["query_loss"].append(total / len(encoded))
            bar.set_postfix(loss=f"{history['query_loss'][-1]:.4f}")
        return history

    def predict(self, task: Task) -> np.ndarray:
        if self.model is None:
            raise RuntimeError(f"{self.name}: call meta_train or load first")
        torch.manual_seed(self.seed)
        e = self._tensors(task)
        with torch_threads(self.threads):
            params = {name: p.detach().requires_grad_() for name, p in self.model.named_parameters()}
            if task.shots:
                with torch.enable_grad():
                    params = self.adapt(params, e["sx"], e["sy"], e["continuous"], create_graph=False)
            with torch.no_grad():
                out = functional_call(self.model, params, (e["qx"],))
        return self.space.decode(task, out.detach().numpy(), e["qbase"].numpy())

    def save(self, path: str) -> None:
        torch.save({"config": self.config, "space": self.space.to_dict(), "model": self.model.state_dict()}, path)

    def load(self, path: str) -> None:
        state = torch.load(path, weights_only=True)
        self.config = dict(state["config"])
        self._build(FeatureSpace.from_dict(state["space"]))
        self.model.load_state_dict(state["model"])
