"""Fixed-graph ablations of the fitted SCM: how much does the graph matter?

The same machinery as the causal-discovery baselines (:mod:`baselines.fitted_scm`: one regressor
per node on its parents, per-task offsets, graph surgery and abduction), with the graph fixed:

* :class:`TrueGraphSCMAgent`: the true DAG projected onto the observed variables (a pair joined
  only through a latent confounder is a non-edge). **Privileged**: it reads the world's declared
  graph, so it is not a legal entry; it is the graph a perfect DAG learner would hand this SCM.
  It is *not* an accuracy upper bound: the worlds' latent materials confound property -> outcome
  mechanisms. A material's only symbolic trace is a cause the operator set by it, so an
  observational fit of ``f(parents)`` absorbs the material's effect into that cause's slope, and
  is wrong when the cause is intervened on.
* :class:`EmptyGraphSCMAgent`: no edges; every outcome is its pooled mean plus the task's offset
  (and a counterfactual answer is always the factual value).
* :class:`FullGraphSCMAgent`: every edge allowed by the public properties-before-outcomes order,
  i.e. each node regressed on all earlier ones: a plug-in correlational learner with graph surgery.
* :class:`RandomGraphSCMAgent`: a random DAG with as many edges as the true one (its density is
  the only privileged fact it uses), consistent with the properties-before-outcomes order and
  seeded per world.

The comparisons to read: true vs empty/random on intervention queries says how much a correct
graph buys; true vs full says what latent confounders cost a DAG over observed variables (the full
graph conditions on every trace of a latent cause, so it predicts better, and pays for it when a
trace is intervened on). The empty graph answers every counterfactual with its factual value, a strong
reference wherever the intervention rarely changes the target.
"""

from __future__ import annotations

from causalworld_bench.evaluation.ablation_graphs import ablation_graph

from baselines.fitted_scm import FittedSCMAgent


class TrueGraphSCMAgent(FittedSCMAgent):
    name = "true-graph-scm"

    def learn_graph(self, world, data, names, n_props):
        return ablation_graph("true", world, names, n_props)


class EmptyGraphSCMAgent(FittedSCMAgent):
    name = "empty-graph-scm"

    def learn_graph(self, world, data, names, n_props):
        return ablation_graph("empty", world, names, n_props)


class FullGraphSCMAgent(FittedSCMAgent):
    name = "full-graph-scm"

    def learn_graph(self, world, data, names, n_props):
        return ablation_graph("full", world, names, n_props)


class RandomGraphSCMAgent(FittedSCMAgent):
    name = "random-graph-scm"

    def learn_graph(self, world, data, names, n_props):
        return ablation_graph("random", world, names, n_props, self.seed)
