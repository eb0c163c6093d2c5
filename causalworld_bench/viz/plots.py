"""Plots of results: learning curves, accuracy per task family, accuracy against graph error (SHD),
a learned graph against the truth."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from causalworld_bench.viz.graph_drawing import PNG_METADATA, Drawing, EdgeStyle, NodeStyle, layered_layout

History = Mapping[str, Sequence[float]] | Sequence[Mapping[str, float]]
#: an accuracy, or an accuracy with the low and high ends of its confidence interval
Score = float | tuple[float, float, float]


def _columns(history: History) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Steps and one float column per numeric key (NaN where a record lacks the key)."""
    if isinstance(history, Mapping):
        cols = {  # numeric series only: histories may also carry per-world summaries
            k: np.asarray(v, dtype=float) for k, v in history.items()
            if isinstance(v, Sequence) and not isinstance(v, str) and v and all(_numeric(x) for x in v)
        }
    else:
        keys = list(dict.fromkeys(k for rec in history for k, v in rec.items() if _numeric(v)))
        cols = {k: np.array([float(rec.get(k, math.nan)) for rec in history]) for k in keys}
    n = max((len(c) for c in cols.values()), default=0)
    if any(len(c) != n for c in cols.values()):
        raise ValueError("learning-curve columns must all have the same length")
    steps = cols.pop("step", np.arange(n, dtype=float))
    return steps, cols


def _numeric(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def plot_learning_curves(history: History, path: str | Path, title: str = "Learning curves") -> Path:
    """Every numeric series of ``history`` against ``step`` (or the record index), on up to three
    panels: keys containing "loss" (log scale when positive), keys containing "acc" (accuracies),
    and any other numeric keys.

    ``history`` is a list of records (``{"step": 10, "loss": 0.3, "query_acc": 0.8}``) or a dict
    of columns. Returns the path of the PNG written."""
    steps, cols = _columns(history)
    if not cols:
        raise ValueError("learning-curve history has no numeric series besides 'step'")
    groups = {"loss": {}, "accuracy": {}, "other": {}}
    for name, values in cols.items():
        groups["loss" if "loss" in name else "accuracy" if "acc" in name else "other"][name] = values
    panels = [(label, series) for label, series in groups.items() if series]
    fig = Figure(figsize=(4.6 * len(panels), 3.6), layout="constrained")
    for k, (label, series) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), k + 1)
        for name, values in series.items():
            ok = np.isfinite(values)
            ax.plot(steps[ok], values[ok], marker="o" if ok.sum() < 30 else None, markersize=3, label=name)
        finite = np.concatenate([v[np.isfinite(v)] for v in series.values()])
        if label == "loss" and finite.size and finite.min() > 0:
            ax.set_yscale("log")
        if label == "accuracy" and finite.size and finite.min() >= 0 and finite.max() <= 1:
            ax.set_ylim(0, 1.02)
        ax.set_xlabel("step")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=9)
    fig.suptitle(title)
    return _save(fig, path)


def plot_family_accuracy(
    table: Mapping[str, Mapping[str, Score]], path: str | Path, title: str = "Accuracy per task family"
) -> Path:
    """Grouped bars: one group per task family, one bar per agent; a score given as
    ``(acc, lo, hi)`` gets an error bar from lo to hi. Returns the path of the PNG written."""
    agents = list(table)
    families = list(dict.fromkeys(f for scores in table.values() for f in scores))
    if not agents or not families:
        raise ValueError("family-accuracy table is empty")
    width = 0.8 / len(agents)
    x = np.arange(len(families))
    fig = Figure(figsize=(max(5.0, 1.2 + len(families) * (0.35 * len(agents) + 0.5)), 4.0), layout="constrained")
    ax = fig.add_subplot()
    for k, agent in enumerate(agents):
        acc, lo, hi = (np.full(len(families), np.nan) for _ in range(3))
        for j, fam in enumerate(families):
            if fam in table[agent]:
                acc[j], lo[j], hi[j] = _score(table[agent][fam])
        pos = x - 0.4 + width * (k + 0.5)
        has_ci = np.isfinite(lo) & np.isfinite(hi)
        bars = ax.bar(pos, np.nan_to_num(acc), width * 0.92, label=agent)
        if has_ci.any():
            err = np.vstack([acc - lo, hi - acc])[:, has_ci]
            ax.errorbar(pos[has_ci], acc[has_ci], yerr=err, fmt="none", ecolor="black", capsize=3, linewidth=1)
        for bar, a, top in zip(bars, acc, np.where(has_ci, hi, acc)):
            if np.isfinite(a) and len(agents) * len(families) <= 24:
                ax.annotate(f"{a:.2f}", (bar.get_x() + bar.get_width() / 2, top), xytext=(0, 2),
                            textcoords="offset points", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(x, families)
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("accuracy")
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(title)
    ax.legend(fontsize=9, ncol=min(len(agents), 4), loc="upper center", bbox_to_anchor=(0.5, -0.1), frameon=False)
    return _save(fig, path)


def _score(score: Score) -> tuple[float, float, float]:
    if isinstance(score, Sequence):
        if len(score) != 3:
            raise ValueError(f"a score is an accuracy or (acc, lo, hi), got {score!r}")
        acc, lo, hi = (float(s) for s in score)
        return acc, lo, hi
    return float(score), math.nan, math.nan


WORLD_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def plot_accuracy_vs_shd(
    points: Sequence[tuple[str, str, str, float, float]], path: str | Path, title: str = "Accuracy against SHD"
) -> Path:
    """One panel per task family: each point is one (agent, world) with the SHD of the agent's graph
    of that world on x and its accuracy on that world on y; colour is the agent, marker the world.
    ``points`` are ``(agent, world, family, shd, accuracy)``. Returns the path of the PNG written."""
    if not points:
        raise ValueError("no (agent, world, family, shd, accuracy) points to plot")
    families = list(dict.fromkeys(p[2] for p in points))
    agents = list(dict.fromkeys(p[0] for p in points))
    worlds = list(dict.fromkeys(p[1] for p in points))
    colors = {a: f"C{i % 10}" for i, a in enumerate(agents)}
    markers = {w: WORLD_MARKERS[i % len(WORLD_MARKERS)] for i, w in enumerate(worlds)}
    fig = Figure(figsize=(4.0 * len(families) + 0.5, 4.6), layout="constrained")
    axes = fig.subplots(1, len(families), sharey=True, squeeze=False)[0]
    offset = {a: 0.3 * (i / max(1, len(agents) - 1) - 0.5) for i, a in enumerate(agents)}  # keep ties apart
    for ax, fam in zip(axes, families):
        rows = [p for p in points if p[2] == fam]
        for agent, world, _, shd, acc in rows:
            ax.scatter(shd + offset[agent], acc, color=colors[agent], marker=markers[world], s=36,
                       edgecolors="black", linewidths=0.4)
        x, y = np.array([p[3] for p in rows], float), np.array([p[4] for p in rows], float)
        if len(rows) > 2 and np.ptp(x) > 0:
            slope, icept = np.polyfit(x, y, 1)
            xs = np.array([x.min(), x.max()])
            ax.plot(xs, icept + slope * xs, color="grey", linestyle="--", linewidth=1)
            ax.set_title(f"{fam} (fit: {100 * slope:+.1f} points per SHD)", fontsize=10)
        else:
            ax.set_title(fam, fontsize=10)
        ax.set_xlabel("SHD of the agent's graph (per world)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("test_a accuracy (per world)")
    axes[0].set_ylim(0, 1.05)
    handles = [Line2D([], [], color=colors[a], marker="o", linestyle="", label=a) for a in agents]
    handles += [Line2D([], [], color="black", marker=markers[w], linestyle="", markerfacecolor="white", label=w)
                for w in worlds]
    fig.legend(handles=handles, loc="outside lower center", ncol=min(6, len(handles)), frameon=False, fontsize=8)
    fig.suptitle(title, fontsize=12)
    return _save(fig, path)


EDGE_COLORS = {"correct": "#2ca02c", "reversed": "#ff7f0e", "extra": "#d62728", "missing": "#9e9e9e"}


def plot_graph_comparison(
    nodes: Sequence[str],
    true_adj: np.ndarray,
    learned_adj: np.ndarray,
    path: str | Path,
    title: str = "Learned graph vs true graph",
) -> Path:
    """The true graph (left) and the learned one (right) on the same layout. In the learned panel
    edges are coloured correct / reversed / extra, and true edges it lacks are drawn dashed grey as
    missing; the title reports the counts and the SHD. Non-zero entries of ``learned_adj`` are edges.
    Returns the path of the PNG written."""
    truth = np.asarray(true_adj) != 0
    learned = np.asarray(learned_adj) != 0
    n = len(nodes)
    if truth.shape != (n, n) or learned.shape != (n, n):
        raise ValueError(f"adjacency matrices must be {n}x{n}, got {truth.shape} and {learned.shape}")
    np.fill_diagonal(learned, False)
    kinds: dict[str, list[tuple[str, str]]] = {k: [] for k in EDGE_COLORS}
    for i, j in zip(*np.nonzero(learned)):
        kind = "correct" if truth[i, j] else "reversed" if truth[j, i] else "extra"
        kinds[kind].append((nodes[i], nodes[j]))
    for i, j in zip(*np.nonzero(truth)):
        if not learned[i, j] and not learned[j, i]:
            kinds["missing"].append((nodes[i], nodes[j]))
    shd = len(kinds["reversed"]) + len(kinds["extra"]) + len(kinds["missing"])
    styles = {name: NodeStyle() for name in nodes}
    drawing = Drawing(layered_layout(nodes, truth), styles)
    gw, gh = drawing.size
    styles_of = {k: EdgeStyle(color=c, linestyle="--" if k == "missing" else "-",
                              linewidth=1.2 if k == "missing" else 1.6) for k, c in EDGE_COLORS.items()}
    legend_h, title_h, gap = 0.45, 0.7, 0.4
    width, height = 2 * gw + gap + 0.2, gh + legend_h + title_h
    fig = Figure(figsize=(width, height))
    panels = [
        ("true graph", [(nodes[i], nodes[j], EdgeStyle()) for i, j in zip(*np.nonzero(truth))]),
        ("learned graph", [(a, b, styles_of[k]) for k, edges in kinds.items() for a, b in edges]),
    ]
    for k, (label, edges) in enumerate(panels):
        left = 0.1 + k * (gw + gap)
        ax = fig.add_axes((left / width, legend_h / height, gw / width, gh / height))
        drawing.draw(ax, edges)
        fig.text((left + gw / 2) / width, 1 - (title_h - 0.08) / height, label, ha="center", va="bottom",
                 fontsize=11)
    fig.suptitle(f"{title} (SHD {shd})", y=1 - 0.08 / height, va="top", fontsize=12)
    handles = [Line2D([], [], color=st.color, linestyle=st.linestyle, linewidth=st.linewidth,
                      label=f"{k} ({len(kinds[k])})") for k, st in styles_of.items()]
    fig.legend(handles=handles, loc="lower center", ncol=4, frameon=False, fontsize=9,
               bbox_to_anchor=(0.5, 0.05 / height))
    return _save(fig, path)


def _save(fig: Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, metadata=PNG_METADATA)
    return path
