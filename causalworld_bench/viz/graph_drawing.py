"""Drawings of causal graphs with matplotlib: a hand-made layered layout, no graphviz.

Nodes sit in columns by causal depth (parents left of children). An edge that spans several
columns gets a reserved slot in every column it crosses (the Sugiyama layout's dummy nodes), and
the order within each column is chosen by barycentre sweeps to keep edges short and uncrossed.
Edges are drawn as smooth horizontal links. Axes are laid out in inches (one data unit is one
inch), so labels never overlap whatever the graph's size.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch
from matplotlib.path import Path as MplPath
from matplotlib.textpath import TextPath

from causalworld_bench.scm import SCM, CausalGraph

FONT_SIZE = 10.0
V_GAP = 0.28  # inches of free space between the boxes (and edge slots) of a column
SLOT_HEIGHT = 0.06  # height in inches reserved in a column for an edge passing through
COL_GAP = 1.0  # inches of free space between the widest labels of neighbouring columns
NODE_HEIGHT = 0.34
#: PNG metadata without matplotlib's version, so regenerated pictures are byte-stable
PNG_METADATA = {"Software": None}


@dataclass(frozen=True)
class NodeStyle:
    """How one node is painted."""

    face: str = "#dbe9f6"
    edge: str = "#2f4b66"
    linestyle: str = "-"
    linewidth: float = 1.2
    rounded: bool = False  # pill shape instead of a rounded rectangle
    bold: bool = False
    subtitle: str = ""  # a second, red line under the name (the value of an intervention)


@dataclass(frozen=True)
class EdgeStyle:
    """How one edge is painted."""

    color: str = "#444444"
    linestyle: str = "-"
    linewidth: float = 1.2


PROPERTY = NodeStyle()
OUTCOME = NodeStyle(face="#fde3c8", edge="#8a4b12", rounded=True)
LATENT_FACE = "#eeeeee"
TARGET_WIDTH = 2.4
DO_COLOR = "#d62728"
CUT_EDGE = EdgeStyle(color="#b0b0b0", linestyle=":", linewidth=1.4)


@dataclass(frozen=True)
class Layout:
    """Column and row of every node, and for every edge the (column, row) slots it passes through
    (none when it joins neighbouring columns)."""

    columns: dict[str, int]
    rows: dict[str, float]
    waypoints: dict[tuple[str, str], list[tuple[int, float]]]


def layered_layout(nodes: Sequence[str], adj: np.ndarray) -> Layout:
    """Layered layout of the DAG ``adj`` (``adj[i, j]``: ``nodes[i] -> nodes[j]``).

    Columns by longest path from a root, with roots pulled right next to their nearest child;
    rows by alternating barycentre sweeps over nodes and the slots of long edges."""
    adj = np.asarray(adj, dtype=bool)
    index = {n: k for k, n in enumerate(nodes)}
    order = [index[n] for n in CausalGraph(tuple(nodes), adj).topological_order()]
    col = [0] * len(nodes)
    for j in order:
        parents = np.flatnonzero(adj[:, j])
        col[j] = 1 + max(col[i] for i in parents) if len(parents) else 0
    for i in order[::-1]:
        children = np.flatnonzero(adj[i])
        if not adj[:, i].any() and len(children):
            col[i] = min(col[c] for c in children) - 1
    # items: node names, and (parent, child, column) slots for edges spanning several columns
    item_col: dict[object, int] = {nodes[i]: col[i] for i in range(len(nodes))}
    up: dict[object, list[object]] = {n: [] for n in item_col}
    down: dict[object, list[object]] = {n: [] for n in item_col}
    for i, j in zip(*np.nonzero(adj)):
        chain: list[object] = [nodes[i]]
        chain += [(nodes[i], nodes[j], c) for c in range(col[i] + 1, col[j])]
        chain.append(nodes[j])
        for a, b in zip(chain, chain[1:]):
            item_col.setdefault(b, item_col[a] + 1)
            up.setdefault(b, []).append(a)
            down.setdefault(a, []).append(b)
            down.setdefault(b, [])
    columns: list[list[object]] = [[] for _ in range(max(item_col.values(), default=0) + 1)]
    for item, c in item_col.items():
        columns[c].append(item)
    row = {item: float(k) for column in columns for k, item in enumerate(column)}

    def sweep(cols: list[list[object]], neighbours: dict[object, list[object]]) -> None:
        for column in cols:
            key = {
                item: sum(row[n] for n in neighbours[item]) / len(neighbours[item]) if neighbours[item] else row[item]
                for item in column
            }
            column.sort(key=lambda item: key[item])
            for k, item in enumerate(column):
                row[item] = k - (len(column) - 1) / 2

    for _ in range(3):
        sweep(columns, up)
        sweep(columns[::-1], down)
    sweep(columns, up)
    waypoints = {
        (nodes[i], nodes[j]): [(c, row[(nodes[i], nodes[j], c)]) for c in range(col[i] + 1, col[j])]
        for i, j in zip(*np.nonzero(adj))
    }
    return Layout({n: col[k] for k, n in enumerate(nodes)}, {n: row[n] for n in nodes}, waypoints)


def _text_width(text: str, bold: bool = False) -> float:
    """Width in inches of ``text`` at FONT_SIZE (from the glyph outlines, no renderer needed)."""
    prop = FontProperties(weight="bold" if bold else "normal")
    return TextPath((0, 0), text, size=FONT_SIZE, prop=prop).get_extents().width / 72


@dataclass(frozen=True)
class Box:
    """A node's box in inches: centre, width, height and corner radius."""

    x: float
    y: float
    w: float
    h: float
    rounding: float

    def side_x(self, y: float, right: bool) -> float:
        """x of the box's left or right outline at height ``y`` (following the rounded corners)."""
        straight = self.h / 2 - self.rounding
        over = max(0.0, abs(y - self.y) - straight)
        inset = self.rounding - float(np.sqrt(max(0.0, self.rounding**2 - over**2)))
        return self.x + self.w / 2 - inset if right else self.x - self.w / 2 + inset


class Drawing:
    """A laid-out graph in inches: node boxes (taller for nodes with many edges), the height of
    every slot of a long edge, and the column x positions."""

    def __init__(self, layout: Layout, styles: Mapping[str, NodeStyle]) -> None:
        self.layout, self.styles = layout, styles
        widths = {n: _text_width(n, styles[n].bold) + 0.3 for n in layout.columns}
        ncols = max(layout.columns.values(), default=0) + 1
        colw = [max((w for n, w in widths.items() if layout.columns[n] == k), default=0.4) for k in range(ncols)]
        steps = [(colw[k] + colw[k + 1]) / 2 + COL_GAP for k in range(ncols - 1)]
        self.xs = np.concatenate([[0.0], np.cumsum(steps)])
        ins, outs = Counter(b for _, b in layout.waypoints), Counter(a for a, _ in layout.waypoints)
        heights = {  # room on each side for the arrows of every edge in or out
            n: max(NODE_HEIGHT, 0.08 * max(ins[n], outs[n]) + 0.1) + (0.2 if styles[n].subtitle else 0.0)
            for n in layout.columns
        }
        # stack every column's nodes and edge slots top to bottom in layout order, centred on y = 0
        items: dict[object, tuple[int, float, float]] = {
            n: (c, layout.rows[n], heights[n]) for n, c in layout.columns.items()
        }
        for (a, b), pts in layout.waypoints.items():
            items.update({(a, b, c): (c, r, SLOT_HEIGHT) for c, r in pts})
        self.y: dict[object, float] = {}
        for k in range(ncols):
            column = sorted(((r, h, key) for key, (c, r, h) in items.items() if c == k), key=lambda t: t[0])
            tops = np.cumsum([0.0] + [h + V_GAP for _, h, _ in column])
            total = tops[-1] - V_GAP
            for (_, h, key), top in zip(column, tops):
                self.y[key] = total / 2 - top - h / 2
        self.boxes = {}
        for n, c in layout.columns.items():
            rounding = min(heights[n], NODE_HEIGHT) / 2 if styles[n].rounded else 0.06
            self.boxes[n] = Box(float(self.xs[c]), self.y[n], widths[n], heights[n], rounding)
        xs = [b.x - b.w / 2 for b in self.boxes.values()] + [b.x + b.w / 2 for b in self.boxes.values()]
        ys = [y for key, y in self.y.items() for y in (y - items[key][2] / 2, y + items[key][2] / 2)]
        pad = 0.25
        self.xlim = (min(xs) - pad, max(xs) + pad)
        self.ylim = (min(ys) - pad, max(ys) + pad)

    @property
    def size(self) -> tuple[float, float]:
        """(width, height) in inches."""
        return self.xlim[1] - self.xlim[0], self.ylim[1] - self.ylim[0]

    def draw(self, ax: Axes, edges: Sequence[tuple[str, str, EdgeStyle]]) -> None:
        """Draw the nodes and ``edges`` onto ``ax``, whose size in inches must be :attr:`size`."""
        patches = {name: self._draw_node(ax, name, box) for name, box in self.boxes.items()}
        forward = [(a, b, st) for a, b, st in edges if self.layout.columns[b] > self.layout.columns[a]]
        backward = [(a, b, st) for a, b, st in edges if self.layout.columns[b] <= self.layout.columns[a]]
        ends = self._edge_ends([(a, b) for a, b, _ in forward])
        for a, b, st in forward:
            start, end = ends[(a, b)]
            pts = [start] + [(float(self.xs[c]), self.y[(a, b, c)]) for c, _ in self.layout.waypoints.get((a, b), [])]
            ax.add_patch(FancyArrowPatch(
                path=_link_path(pts + [end]), arrowstyle="-|>", mutation_scale=10, color=st.color,
                linestyle=st.linestyle, linewidth=st.linewidth, zorder=2,
            ))
        for a, b, st in backward:  # same column or right to left: a bow between the boxes
            ax.add_patch(FancyArrowPatch(
                (self.boxes[a].x, self.boxes[a].y), (self.boxes[b].x, self.boxes[b].y),
                patchA=patches[a], patchB=patches[b], arrowstyle="-|>", mutation_scale=10,
                connectionstyle="arc3,rad=0.45", color=st.color, linestyle=st.linestyle,
                linewidth=st.linewidth, zorder=2,
            ))
        ax.set_xlim(*self.xlim)
        ax.set_ylim(*self.ylim)
        ax.set_aspect("equal")
        ax.axis("off")

    def _draw_node(self, ax: Axes, name: str, box: Box) -> FancyBboxPatch:
        st = self.styles[name]
        patch = FancyBboxPatch(
            (box.x - box.w / 2, box.y - box.h / 2), box.w, box.h,
            boxstyle=f"round,pad=0,rounding_size={box.rounding}",
            facecolor=st.face, edgecolor=st.edge, linestyle=st.linestyle, linewidth=st.linewidth, zorder=3,
        )
        ax.add_patch(patch)
        weight = "bold" if st.bold else "normal"
        y = box.y + (0.09 if st.subtitle else 0.0)
        ax.text(box.x, y, name, ha="center", va="center", fontsize=FONT_SIZE, weight=weight, zorder=4)
        if st.subtitle:
            ax.text(box.x, box.y - 0.11, st.subtitle, ha="center", va="center", fontsize=FONT_SIZE - 1,
                    color=DO_COLOR, zorder=4)
        return patch

    def _edge_ends(self, edges: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[tuple[float, float], ...]]:
        """Where each forward edge leaves its parent's right side and enters its child's left side,
        spread over the side and sorted by the other end's height so that the links do not cross."""
        def toward(a: str, b: str, first: bool) -> float:
            pts = self.layout.waypoints.get((a, b), [])
            if pts:
                return self.y[(a, b, (pts[0] if first else pts[-1])[0])]
            return self.boxes[b if first else a].y

        def spread(box: Box, k: int) -> list[float]:
            half = min(box.h / 2 - 0.06, 0.04 * (k - 1))
            return list(np.linspace(box.y + half, box.y - half, k)) if k > 1 else [box.y]

        start: dict[tuple[str, str], tuple[float, float]] = {}
        end: dict[tuple[str, str], tuple[float, float]] = {}
        for name, box in self.boxes.items():
            out = sorted((e for e in edges if e[0] == name), key=lambda e: -toward(*e, first=True))
            for e, y in zip(out, spread(box, len(out))):
                start[e] = (box.side_x(y, right=True), y)
            inc = sorted((e for e in edges if e[1] == name), key=lambda e: -toward(*e, first=False))
            for e, y in zip(inc, spread(box, len(inc))):
                end[e] = (box.side_x(y, right=False), y)
        return {e: (start[e], end[e]) for e in edges}


def _link_path(points: Sequence[tuple[float, float]]) -> MplPath:
    """A smooth path through ``points`` (left to right) with horizontal tangents at each point."""
    verts = [points[0]]
    codes = [MplPath.MOVETO]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        dx = (x1 - x0) / 2
        verts += [(x0 + dx, y0), (x1 - dx, y1), (x1, y1)]
        codes += [MplPath.CURVE4] * 3
    return MplPath(verts, codes)


def format_value(scm: SCM, name: str, value: float) -> str:
    """A variable's value for people: category names, continuous values with 3 digits and unit."""
    var = scm.variable(name)
    if var.categories:
        return var.categories[int(value)]
    return f"{value:.3g} {var.unit}".strip()


def causal_graph_figure(scm: SCM, do: Mapping[str, float] | None = None, title: str | None = None) -> Figure:
    """A figure of ``scm``'s causal graph: properties as boxes, outcomes as pills, latent variables
    grey with a dashed border, targets bold; intervened nodes red with their incoming edges cut."""
    do = scm.check_do(do, any_variable=True)
    styles = {}
    for v in scm.variables:
        base = OUTCOME if v.kind == "outcome" else PROPERTY
        styles[v.name] = NodeStyle(
            face=base.face if v.observed else LATENT_FACE,
            edge=DO_COLOR if v.name in do else base.edge,
            linestyle="-" if v.observed else "--",
            linewidth=TARGET_WIDTH if v.is_target or v.name in do else base.linewidth,
            rounded=base.rounded,
            bold=v.is_target,
            subtitle=f"do = {format_value(scm, v.name, do[v.name])}" if v.name in do else "",
        )
    graph = scm.graph
    edges = [(a, b, CUT_EDGE if b in do else EdgeStyle()) for a in graph.nodes for b in graph.children(a)]
    legend: list[Patch | Line2D] = [
        Patch(facecolor=PROPERTY.face, edgecolor=PROPERTY.edge, label="property (set before the physics)"),
        Patch(facecolor=OUTCOME.face, edgecolor=OUTCOME.edge, label="outcome (read from the physics)"),
        Patch(facecolor=LATENT_FACE, edgecolor="#555555", linestyle="--", label="latent (not observed)"),
        Patch(facecolor="white", edgecolor="black", linewidth=TARGET_WIDTH, label="target (bold)"),
    ]
    if do:
        legend += [
            Patch(facecolor="white", edgecolor=DO_COLOR, linewidth=TARGET_WIDTH, label="intervened: do()"),
            Line2D([], [], color=CUT_EDGE.color, linestyle=CUT_EDGE.linestyle, label="edge cut by do()"),
        ]
    drawing = Drawing(layered_layout(graph.nodes, graph.adj), styles)
    gw, gh = drawing.size
    ncol = 2
    legend_h = 0.25 + 0.24 * -(-len(legend) // ncol)
    title_h = 0.45
    width, height = max(gw, 6.2) + 0.2, gh + legend_h + title_h
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes(((width - gw) / 2 / width, legend_h / height, gw / width, gh / height))
    drawing.draw(ax, edges)
    fig.suptitle(title or f"{scm.name}: causal graph", y=1 - 0.12 / height, va="top", fontsize=12)
    fig.legend(handles=legend, loc="lower center", ncol=ncol, frameon=False, fontsize=9,
               bbox_to_anchor=(0.5, 0.02 / height))
    return fig


def draw_causal_graph(
    scm: SCM, path: str | Path, do: Mapping[str, float] | None = None, title: str | None = None, dpi: int = 110
) -> Path:
    """Save :func:`causal_graph_figure` as a PNG at ``path``; return the path."""
    path = Path(path)
    causal_graph_figure(scm, do, title).savefig(path, dpi=dpi, metadata=PNG_METADATA)
    return path
