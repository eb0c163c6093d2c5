"""Render the committed leaderboard entries as ``README.md``, one self-contained ``index.html`` and
one accuracy chart per track.

Everything is derived from the entry files alone (``<root>/<track>/<agent>.json``), whose scores
were recomputed by :func:`~causalworld_bench.leaderboard.store.submit`. Output is deterministic:
the same entries give the same bytes (agents sorted by score, then name; numbers in fixed formats;
no timestamps). Submitter-supplied text is escaped, and submitter-supplied numbers that are not
scores (compute times) are shown as reported, or as a dash when they are not finite numbers.
"""

from __future__ import annotations

import base64
import html
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import numpy as np

from causalworld_bench.leaderboard.store import DEFAULT_DIR, load_entries, write_text_atomic
from causalworld_bench.tasks import FAMILIES, TEST_A, TEST_B, TEST_HELDOUT, TEST_SPLITS

DEFAULT_HEADLINE_SHOTS = 5
DASH = "—"
SPLIT_LABELS = {TEST_A: "A", TEST_B: "B (OOD)", TEST_HELDOUT: "held-out do"}
CHART = "accuracy.png"
SHD_CHART = "accuracy_vs_shd.png"
TEXT_COLUMNS = ("agent", "version")


# -- numbers and text -----------------------------------------------------------------------------

def _num(value: object) -> float | None:
    """A finite float, or None for anything else (missing, bool, string, NaN, infinity)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        value = float(value)
    except OverflowError:
        return None
    return value if math.isfinite(value) else None


def _pct(value: float | None) -> str:
    return DASH if value is None else f"{100 * value:.1f}"


def _pct_ci(acc: float | None, lo: float | None, hi: float | None) -> str:
    if acc is None:
        return DASH
    if lo is None or hi is None:
        return _pct(acc)
    return f"{100 * acc:.1f} [{100 * lo:.1f}, {100 * hi:.1f}]"


def _fixed(value: float | None, digits: int = 1, unit: str = "") -> str:
    return DASH if value is None else f"{value:.{digits}f}{unit}"


def _clean(text: object, limit: int = 60) -> str:
    """Submitter text on one line, at most ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _md(text: object, limit: int = 60) -> str:
    """Text safe inside a Markdown table cell: HTML-escaped, Markdown punctuation backslashed."""
    out = html.escape(_clean(text, limit), quote=False)
    for ch in "\\`*_[]|~":
        out = out.replace(ch, "\\" + ch)
    return out


# -- one agent's row ------------------------------------------------------------------------------

@dataclass
class Row:
    """Everything the tables show about one entry."""

    agent: str
    version: str
    headline_shots: int
    mean: float | None
    family: dict[str, tuple[float | None, float | None, float | None]]  # test_a at headline shots
    split_mean: dict[str, float | None]  # test_b / test_heldout, mean over families
    pooled: dict[tuple[str, str], float | None]  # (family, split) -> accuracy over all worlds
    cells: dict[tuple[str, str, str], dict] = field(default_factory=dict)  # (world, family, split) -> score row
    world_shd: dict[str, int] = field(default_factory=dict)  # recomputed SHD per world with a graph
    meta_train_s: float | None = None
    ms_per_task: float | None = None
    checksum: str = ""

    @property
    def shd(self) -> float | None:
        """Mean SHD over the worlds the entry gives a graph for (None without one)."""
        return float(np.mean(list(self.world_shd.values()))) if self.world_shd else None

    def sort_key(self) -> tuple:
        return (self.mean is None, -(self.mean or 0.0), self.agent, self.version)


def _headline_shots(entry: Mapping) -> int:
    """The shot count the entry's (recomputed) headline was taken at.

    ``headline`` is recomputed at submission, but ``headline_shots`` is the submitter's word: use it
    only when the recomputed summary agrees with the headline there, else the shot count that does."""
    headline, summary = entry.get("headline"), entry.get("summary")
    if not isinstance(headline, Mapping) or not isinstance(summary, Mapping):
        return DEFAULT_HEADLINE_SHOTS
    shots = [k for k in entry.get("shots") or [] if isinstance(k, int) and not isinstance(k, bool)]
    claimed = entry.get("headline_shots")
    order = [k for k in (claimed, DEFAULT_HEADLINE_SHOTS) if isinstance(k, int)] + sorted(shots)

    def agrees(k: int) -> bool:
        try:
            return all(summary[f][TEST_A][str(k)]["accuracy"] == acc for f, acc in headline.items())
        except (KeyError, TypeError):
            return False

    for k in order:
        if k in shots and agrees(k):
            return k
    return DEFAULT_HEADLINE_SHOTS


def _summary_cell(summary: Mapping, family: str, split: str, shots: int) -> Mapping:
    try:
        cell = summary[family][split][str(shots)]
    except (KeyError, TypeError):
        return {}
    return cell if isinstance(cell, Mapping) else {}


def _families(split: str) -> tuple[str, ...]:
    """The families a split has (no prediction tasks in the held-out-interventions split)."""
    return tuple(f for f in FAMILIES if not (split == TEST_HELDOUT and f == "prediction"))


def _mean(values: Sequence[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return float(np.mean(vals)) if vals and len(vals) == len(values) else None


def make_row(entry: Mapping) -> Row:
    """Extract one entry's table row from its recomputed scores."""
    hs = _headline_shots(entry)
    summary = entry.get("summary") or {}
    headline = entry.get("headline") or {}
    family = {}
    for f in FAMILIES:
        cell = _summary_cell(summary, f, TEST_A, hs)
        acc = _num(headline.get(f)) if isinstance(headline, Mapping) else None
        family[f] = (acc, _num(cell.get("ci_low")), _num(cell.get("ci_high")))
    pooled = {(f, s): _num(_summary_cell(summary, f, s, hs).get("accuracy")) for f in FAMILIES for s in TEST_SPLITS}
    split_mean = {s: _mean([pooled[f, s] for f in _families(s)]) for s in (TEST_B, TEST_HELDOUT)}
    cells = {}
    for r in entry.get("scores") or []:
        if isinstance(r, Mapping) and r.get("shots") == hs:
            cells[str(r.get("world")), str(r.get("family")), str(r.get("split"))] = r
    compute = entry.get("compute") if isinstance(entry.get("compute"), Mapping) else {}
    return Row(
        agent=str(entry.get("agent", "?")),
        version=str(entry.get("agent_version", "")),
        headline_shots=hs,
        mean=_mean([family[f][0] for f in FAMILIES]),
        family=family,
        split_mean=split_mean,
        pooled=pooled,
        cells=cells,
        world_shd=_world_shd(entry.get("graphs")),
        meta_train_s=_num(compute.get("meta_train_s")),
        ms_per_task=_num(compute.get("predict_ms_per_task")),
        checksum=str(entry.get("suite_checksum", "")),
    )


# -- graphs: SHD recomputed from the submitted adjacency --------------------------------------------

_TRUE_GRAPHS: dict[str, tuple[list[str], np.ndarray] | None] = {}


def _true_graph(world: str) -> tuple[list[str], np.ndarray] | None:
    """Observed node names and true adjacency of ``world`` (None for an unknown world)."""
    if world not in _TRUE_GRAPHS:
        from causalworld_bench.evaluation.ablation_graphs import observed_dag

        try:
            nodes, adj = observed_dag(world)
        except (KeyError, ValueError):
            _TRUE_GRAPHS[world] = None
        else:
            _TRUE_GRAPHS[world] = (list(nodes), adj)
    return _TRUE_GRAPHS[world]


def _world_shd(graphs: object) -> dict[str, int]:
    """SHD per world an entry gives a usable graph for, recomputed from each submitted adjacency
    against the true DAG (the submitted ``shd`` is not trusted)."""
    from causalworld_bench.evaluation.graph_metrics import shd

    if not isinstance(graphs, Mapping):
        return {}
    values = {}
    for world in sorted(graphs):
        g = graphs[world]
        truth = _true_graph(str(world))
        if truth is None or not isinstance(g, Mapping) or g.get("nodes") != truth[0]:
            continue
        try:
            est = np.array(g.get("adjacency"), dtype=float)
        except (TypeError, ValueError):
            continue
        if est.shape != truth[1].shape or not np.all(np.isfinite(est)):
            continue
        values[str(world)] = shd(est != 0, truth[1])
    return values


def _tolerances(worlds: Sequence[str]) -> list[str]:
    """One line per world: its targets and how each is scored."""
    from causalworld_bench.worlds import make_world

    lines = []
    for name in worlds:
        try:
            w = make_world(name)
        except (KeyError, ValueError):
            continue
        try:
            parts = [
                f"`{v.name}` within ±{v.tolerance:g} {v.unit}".rstrip() if v.tolerance is not None
                else f"`{v.name}` exact ({v.vtype})"
                for v in w.variables if v.is_target
            ]
        finally:
            w.close()
        lines.append(f"{name}: " + ", ".join(parts))
    return lines


# -- the tables, as header + rows of (text, sort value) ---------------------------------------------

Cell = tuple[str, float | str | None]  # display text, sort key


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[Cell]]


def _rank_table(rows: Sequence[Row]) -> Table:
    header = ["#", "agent", "version", "mean", *FAMILIES, "OOD (test_b)", "held-out do (test_heldout)",
              "mean SHD", "meta-train", "ms / task"]
    out = []
    for i, r in enumerate(rows, 1):
        out.append([
            (str(i), i), (r.agent, r.agent), (r.version, r.version), (_pct(r.mean), r.mean),
            *[(_pct_ci(*r.family[f]), r.family[f][0]) for f in FAMILIES],
            (_pct(r.split_mean[TEST_B]), r.split_mean[TEST_B]),
            (_pct(r.split_mean[TEST_HELDOUT]), r.split_mean[TEST_HELDOUT]),
            (_fixed(r.shd, 2), r.shd), (_fixed(r.meta_train_s, 1, " s"), r.meta_train_s),
            (_fixed(r.ms_per_task, 2), r.ms_per_task),
        ])
    return Table("Ranking", header, out)


def _family_table(family: str, rows: Sequence[Row], worlds: Sequence[str]) -> Table:
    splits = [s for s in TEST_SPLITS if family in _families(s)]
    continuous = any(
        _num(c.get("nrmse")) is not None for r in rows for (w, f, s), c in r.cells.items() if f == family
    )
    header = ["agent"] + [f"all {SPLIT_LABELS[s]}" for s in splits]
    for w in worlds:
        header += [f"{w} {SPLIT_LABELS[s]}" for s in splits] + ([f"{w} NRMSE"] if continuous else [])
    out = []
    for r in rows:
        line: list[Cell] = [(r.agent, r.agent)] + [(_pct(r.pooled.get((family, s))), r.pooled.get((family, s))) for s in splits]
        for w in worlds:
            for s in splits:
                c = r.cells.get((w, family, s), {})
                acc = _num(c.get("accuracy"))
                line.append((_pct_ci(acc, _num(c.get("ci_low")), _num(c.get("ci_high"))), acc))
            if continuous:
                e = _num(r.cells.get((w, family, TEST_A), {}).get("nrmse"))
                line.append((_fixed(e, 3), e))
        out.append(line)
    return Table(f"{family}: accuracy per world", header, out)


@dataclass
class Track:
    name: str
    rows: list[Row]
    worlds: list[str]
    checksums: list[str]
    headline_shots: list[int]
    tables: list[Table]


def build_tracks(entries: Mapping[str, Sequence[Mapping]]) -> list[Track]:
    """Ranked rows and tables per track, in track-name order."""
    tracks = []
    for name in sorted(entries):
        rows = sorted((make_row(e) for e in entries[name]), key=Row.sort_key)
        worlds = sorted({w for r in rows for (w, _, _) in r.cells})
        tables = [_rank_table(rows)] + [_family_table(f, rows, worlds) for f in FAMILIES]
        tracks.append(Track(name, rows, worlds, sorted({r.checksum for r in rows}),
                            sorted({r.headline_shots for r in rows}), tables))
    return tracks


# -- writers ----------------------------------------------------------------------------------------

def _legend(tracks: Sequence[Track]) -> list[str]:
    worlds = sorted({w for t in tracks for w in t.worlds})
    lines = [
        "- **Scores are recomputed by the package** (`causalworld-bench leaderboard submit`) from each "
        "entry's predictions and the suite's hidden answers; any scores in a submission are ignored.",
        "- **Splits**: `test_a` in-distribution (the ranges of meta-training); `test_b` out-of-distribution "
        "(support from range A, queries and intervention values from range B); `test_heldout` "
        "interventions on the one variable per world that no meta-training task intervenes on "
        "(intervention and counterfactual only).",
        "- **Shots**: support examples per task; tables report the headline shot count (5 unless the "
        "track says otherwise). *mean* is the mean of the three families' `test_a` accuracies; OOD and "
        "held-out columns average the families' accuracies on those splits.",
        "- **Accuracy** in percent with a Wilson 95% interval in brackets. Binary and categorical targets "
        "count when the rounded prediction equals the answer; continuous targets count within an "
        "absolute tolerance; NRMSE is the RMSE divided by the answers' standard deviation (test_a).",
    ]
    tol = _tolerances(worlds)
    if tol:
        lines.append("- **Targets and tolerances**: " + "; ".join(tol) + ".")
    lines += [
        "- **SHD**: structural Hamming distance of the agent's graph to the true DAG over observed "
        "variables, recomputed from the submitted adjacency, averaged over the worlds it gives a graph "
        "for (lower is better); a dash when the agent exposes no graph.",
        "- **meta-train** and **ms / task** are as reported by the submitter's run (`compute`), "
        "not verified.",
    ]
    return lines


def render_markdown(tracks: Sequence[Track]) -> str:
    """The leaderboards as GitHub Markdown."""
    out = ["# causalworld-bench leaderboards", "",
           "Generated by `causalworld-bench leaderboard render` from the entries under `leaderboards/`; "
           "do not edit by hand.", ""]
    if not tracks:
        out += ["No entries yet.", ""]
    for t in tracks:
        out += [f"## Track {_md(t.name, 120)}", "",
                f"Suite checksum {', '.join(f'`{_md(c[:12], 12)}`' for c in t.checksums)}; "
                f"headline shots {', '.join(map(str, t.headline_shots))}; {len(t.rows)} "
                f"{'entry' if len(t.rows) == 1 else 'entries'}.", "",
                f"![accuracy per family]({quote(t.name)}/{CHART})", ""]
        if any(r.world_shd for r in t.rows):
            out += [f"![accuracy against SHD]({quote(t.name)}/{SHD_CHART})", ""]
        for k, table in enumerate(t.tables):
            if k:
                out += [f"### {_md(table.title, 120)}", ""]
            out.append("| " + " | ".join(_md(h, 120) for h in table.header) + " |")
            out.append("|" + "|".join(":---" if h in TEXT_COLUMNS else "---:" for h in table.header) + "|")
            for row in table.rows:
                out.append("| " + " | ".join(_md(text) for text, _ in row) + " |")
            out.append("")
    out += ["## Legend", "", *_legend(tracks), ""]
    return "\n".join(out)


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1400px;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:right;white-space:nowrap}
th{background:#f2f2f2;cursor:pointer;user-select:none}
th:after{content:" \\2195";color:#aaa}
td.t,th.t{text-align:left}
tbody tr:nth-child(even){background:#fafafa}
.scroll{overflow-x:auto}
img{max-width:100%}
code{background:#f4f4f4;padding:0 3px}
""".strip()

JS = """
document.querySelectorAll("table.sortable th").forEach(function(th){th.addEventListener("click",function(){
var tb=th.closest("table").tBodies[0],i=th.cellIndex,num=!th.classList.contains("t"),asc=th.dataset.dir!=="asc";
th.dataset.dir=asc?"asc":"desc";
var rs=Array.prototype.slice.call(tb.rows);rs.sort(function(a,b){var x=a.cells[i].dataset.v,y=b.cells[i].dataset.v;
var nx=parseFloat(x),ny=parseFloat(y);if(x===""&&y==="")return 0;if(x==="")return 1;if(y==="")return -1;
var c=(num&&!isNaN(nx)&&!isNaN(ny))?nx-ny:(x<y?-1:x>y?1:0);return asc?c:-c;});rs.forEach(function(r){tb.appendChild(r);});});});
""".strip()


def _sort_value(value: float | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return html.escape(value)
    return f"{value:.9g}" if isinstance(value, float) else str(value)


def _html_table(table: Table) -> str:
    text_cols = {j for j, h in enumerate(table.header) if h in TEXT_COLUMNS}
    head = "".join(f'<th{" class=t" if j in text_cols else ""}>{html.escape(h)}</th>' for j, h in enumerate(table.header))
    body = []
    for row in table.rows:
        tds = "".join(
            f'<td{" class=t" if j in text_cols else ""} data-v="{_sort_value(v)}">{html.escape(_clean(text))}</td>'
            for j, (text, v) in enumerate(row)
        )
        body.append(f"<tr>{tds}</tr>")
    return (f'<div class="scroll"><table class="sortable"><thead><tr>{head}</tr></thead>\n<tbody>\n'
            + "\n".join(body) + "\n</tbody></table></div>")


def _inline_md(text: str) -> str:
    """The legend's tiny Markdown subset (``**bold**``, ``*em*``, backticks) as HTML."""
    text = html.escape(text, quote=False)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    text = re.sub(r"\*(.+?)\*", r"<i>\1</i>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def render_html(tracks: Sequence[Track], charts: Mapping[str, bytes]) -> str:
    """One self-contained page: inline CSS and JS, charts as base64 PNG."""
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           "<title>causalworld-bench leaderboards</title>", f"<style>\n{CSS}\n</style></head><body>",
           "<h1>causalworld-bench leaderboards</h1>",
           "<p>Generated by <code>causalworld-bench leaderboard render</code> from the committed entries. "
           "Click a column header to sort.</p>"]
    if not tracks:
        out.append("<p>No entries yet.</p>")
    for t in tracks:
        name = html.escape(t.name)
        out.append(f'<h2 id="{name}">Track <code>{name}</code></h2>')
        out.append(f"<p>Suite checksum {', '.join(f'<code>{html.escape(c[:12])}</code>' for c in t.checksums)}; "
                   f"headline shots {', '.join(map(str, t.headline_shots))}; {len(t.rows)} "
                   f"{'entry' if len(t.rows) == 1 else 'entries'}.</p>")
        if t.name in charts:
            b64 = base64.b64encode(charts[t.name]).decode("ascii")
            out.append(f'<p><img alt="accuracy per family, {name}" src="data:image/png;base64,{b64}"></p>')
        if f"{t.name}/{SHD_CHART}" in charts:
            b64 = base64.b64encode(charts[f"{t.name}/{SHD_CHART}"]).decode("ascii")
            out.append(f'<p><img alt="accuracy against SHD, {name}" src="data:image/png;base64,{b64}"></p>')
        for k, table in enumerate(t.tables):
            if k:
                out.append(f"<h3>{html.escape(table.title)}</h3>")
            out.append(_html_table(table))
    out.append("<h2>Legend</h2><ul>")
    out += [f"<li>{_inline_md(line[2:])}</li>" for line in _legend(tracks)]
    out += ["</ul>", f"<script>\n{JS}\n</script>", "</body></html>", ""]
    return "\n".join(out)


def _bar(acc: float | None, lo: float | None, hi: float | None) -> tuple[float, float, float]:
    """(acc, lo, hi) for a bar; the interval widened to contain acc (Wilson's bound at 0 of n can come
    out as 5e-17 by rounding, a negative error bar to matplotlib)."""
    if acc is None:
        return (math.nan, math.nan, math.nan)
    if lo is None or hi is None:
        return (acc, math.nan, math.nan)
    return (acc, min(lo, acc), max(hi, acc))


def _chart(track: Track, path: Path) -> bytes:
    """Grouped bars of test_a accuracy per family per agent with CI error bars, written atomically."""
    from causalworld_bench.viz.plots import plot_family_accuracy

    table: dict[str, dict[str, tuple[float, float, float]]] = {}
    for r in track.rows:
        label, n = _clean(r.agent, 40), 2
        while label in table:  # two entries whose names clean to the same label
            label, n = f"{_clean(r.agent, 36)} ({n})", n + 1
        table[label] = {f: _bar(*r.family[f]) for f in FAMILIES}
    title = f"{track.name}: test_a accuracy at {'/'.join(map(str, track.headline_shots))} shots"
    return _write_png(path, lambda tmp: plot_family_accuracy(table, tmp, title=title))


def _write_png(path: Path, draw: Callable[[Path], object]) -> bytes:
    """Run ``draw`` on a temporary file next to ``path``, then move it into place (atomic); the bytes."""
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")
    try:
        draw(tmp)
        data = tmp.read_bytes()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return data


def accuracy_shd_points(rows: Sequence[Row]) -> list[tuple[str, str, str, float, float]]:
    """(agent, world, family, SHD, test_a accuracy at headline shots) for every world an entry's graph covers."""
    points = []
    for r in rows:
        for world, value in r.world_shd.items():
            for f in FAMILIES:
                acc = _num(r.cells.get((world, f, TEST_A), {}).get("accuracy"))
                if acc is not None:
                    points.append((_clean(r.agent, 40), world, f, float(value), acc))
    return points


def _shd_chart(track: Track, path: Path) -> bytes | None:
    """Accuracy against SHD, one point per (agent, world), written atomically; None if no entry has a graph."""
    from causalworld_bench.viz.plots import plot_accuracy_vs_shd

    points = accuracy_shd_points(track.rows)
    if not points:
        return None
    title = f"{track.name}: accuracy against the SHD of each agent's graph"
    return _write_png(path, lambda tmp: plot_accuracy_vs_shd(points, tmp, title=title))


def render(root: str | Path = DEFAULT_DIR) -> list[Path]:
    """Regenerate ``README.md``, ``index.html``, ``<track>/accuracy.png`` and (when an entry gives
    graphs) ``<track>/accuracy_vs_shd.png`` under ``root`` from the
    committed entries. Returns the paths written."""
    root = Path(root)
    tracks = build_tracks(load_entries(root))
    written, charts = [], {}
    for t in tracks:
        if t.rows:
            path = root / t.name / CHART
            charts[t.name] = _chart(t, path)
            written.append(path)
            shd_chart = _shd_chart(t, root / t.name / SHD_CHART)
            if shd_chart is not None:
                charts[f"{t.name}/{SHD_CHART}"] = shd_chart
                written.append(root / t.name / SHD_CHART)
    readme, index = root / "README.md", root / "index.html"
    write_text_atomic(readme, render_markdown(tracks))
    write_text_atomic(index, render_html(tracks, charts))
    return [readme, index, *written]
