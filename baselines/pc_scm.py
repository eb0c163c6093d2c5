"""PC + fitted SCM: classic constraint-based causal discovery, then a fitted structural model.

Per world, from the pooled observational rows of the meta-training tasks (complete samples:
support examples and counterfactual queries' factual samples):

1. run causal-learn's PC (``causallearn.search.ConstraintBased.PC.pc``) with Fisher-z tests on all
   rows (the default: about a second per world), or kernel CI tests on a seeded subsample
   (``indep_test="rcit"``: about 100 s for four worlds on 1000 rows, sparser graphs, lower SHD
   but worse answers on our dev suites; ``"kci"``: ten minutes on 300 rows, over the budget),
   with the public variable-kind order as background knowledge: properties in tier 0, outcomes
   in tier 1 (outcomes are read after the physics, so no outcome causes a property);
2. turn PC's CPDAG into a DAG (:func:`baselines.graph_utils.orient_to_dag`): keep its directed
   edges unless they close a cycle, treat bidirected edges (a sign of a latent confounder) as
   undirected, and orient undirected edges along a topological order with properties first;
3. fit the SCM of :mod:`baselines.fitted_scm` on that DAG and answer by propagation, graph surgery
   and abduction.

PC assumes causal sufficiency (no latent confounders) and, with Fisher-z, linear-Gaussian
dependence; the worlds break both on purpose, so the learned graph carries confounded edges
(e.g. a colour -> outcome edge through a latent material). The SHD of each learned graph against
the true observed graph is in the ``meta_train`` history.
"""

from __future__ import annotations

import numpy as np

from baselines.fitted_scm import FittedSCMAgent
from baselines.graph_utils import orient_to_dag


class PCSCMAgent(FittedSCMAgent):
    name = "pc-scm"

    def __init__(
        self,
        alpha: float = 0.01,
        indep_test: str = "fisherz",
        max_rows: int | None = None,
        tiers: bool = True,
        regressor: str = "mlp",
        shrink: float = 2.0,
        seed: int = 0,
        progress: bool = False,
    ) -> None:
        super().__init__(regressor=regressor, shrink=shrink, seed=seed, progress=progress)
        self.alpha, self.indep_test, self.tiers = float(alpha), indep_test, bool(tiers)
        # kernel tests are cubic in the rows: subsample them by default
        self.max_rows = max_rows if max_rows is not None else (None if indep_test == "fisherz" else 400)
        self.raw: dict[str, np.ndarray] = {}  # PC's own output per world, causal-learn's encoding

    def learn_graph(self, world, data, names, n_props):
        from causallearn.graph.GraphNode import GraphNode
        from causallearn.search.ConstraintBased.PC import pc
        from causallearn.utils.PCUtils.BackgroundKnowledge import BackgroundKnowledge

        n = len(names)
        rows = data[np.all(np.isfinite(data), axis=1)]
        if self.max_rows is not None and len(rows) > self.max_rows:
            rng = np.random.default_rng(self.seed)
            rows = rows[np.sort(rng.choice(len(rows), self.max_rows, replace=False))]
        varying = np.flatnonzero(rows.std(axis=0) > 0)  # a constant column breaks the tests
        sub = rows[:, varying]
        sub = (sub - sub.mean(axis=0)) / sub.std(axis=0)
        labels = [f"X{i + 1}" for i in range(len(varying))]
        bk = None
        if self.tiers:
            bk = BackgroundKnowledge()
            for label, col in zip(labels, varying):
                bk.add_node_to_tier(GraphNode(label), int(col >= n_props))
        state = np.random.get_state()  # kernel tests (kci, rcit) draw from numpy's global RNG
        np.random.seed(self.seed)
        try:
            cg = pc(sub, alpha=self.alpha, indep_test=self.indep_test, background_knowledge=bk,
                    show_progress=False, node_names=labels)
        finally:
            np.random.set_state(state)
        g = np.asarray(cg.G.graph)  # g[j, i] = 1 and g[i, j] = -1: i -> j; both -1: i - j; both 1: i <-> j
        raw = np.zeros((n, n), dtype=int)
        raw[np.ix_(varying, varying)] = g
        self.raw[world] = raw
        directed = (raw.T == 1) & (raw == -1)
        undirected = ((raw == -1) & (raw.T == -1)) | ((raw == 1) & (raw.T == 1))
        return orient_to_dag(directed, undirected, n_props if self.tiers else n)

    def learner_info(self, world):
        raw = self.raw.get(world)
        if raw is None:
            return {}
        return {"pc_directed": int(((raw.T == 1) & (raw == -1)).sum()),
                "pc_undirected": int(np.triu((raw == -1) & (raw.T == -1), 1).sum()),
                "pc_bidirected": int(np.triu((raw == 1) & (raw.T == 1), 1).sum())}
