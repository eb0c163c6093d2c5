"""Pictures of the worlds: the show and docs commands, graph drawings, result plots."""

from __future__ import annotations

from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from causalworld_bench import list_worlds, make_world
from causalworld_bench.cli import main
from causalworld_bench.viz.graph_drawing import Drawing, NodeStyle, draw_causal_graph, layered_layout
from causalworld_bench.viz.plots import plot_family_accuracy, plot_graph_comparison, plot_learning_curves
from causalworld_bench.viz.worldpages import format_range, write_docs

DOCS = Path(__file__).resolve().parents[1] / "docs" / "worlds"
W, H = 64, 48
SMALL = ["--width", str(W), "--height", str(H), "--every", "120"]


def _image(path: Path) -> np.ndarray:
    assert path.is_file() and path.stat().st_size > 0, path
    img = iio.imread(path)
    assert img.std() > 0, f"{path} is blank"
    return img


def _clip(path: Path) -> np.ndarray:
    frames = _image(path)
    assert frames.ndim == 4 and frames.shape[0] > 1, f"{path}: {frames.shape}"
    return frames


def _intervention(name: str) -> tuple[str, float]:
    world = make_world(name)
    var = world.variable(world.intervenable[0])
    world.close()
    return var.name, float(var.space_a[0] if var.discrete else sum(var.space_a) / 2)


@pytest.mark.parametrize("name", list_worlds())
def test_show_writes_scene_clip_and_graph(name, tmp_path, capsys):
    assert main(["show", name, "--seed", "3", "--out", str(tmp_path), *SMALL]) == 0
    printed = capsys.readouterr().out.split()
    assert [Path(p).name for p in printed] == ["scene.png", "episode.gif", "graph.png"]
    assert _image(tmp_path / "scene.png").shape == (H, W, 3)
    assert _clip(tmp_path / "episode.gif").shape[1:] == (H, W, 3)
    graph = _image(tmp_path / "graph.png")
    assert graph.shape[0] > 300 and graph.shape[1] > 500


def test_show_with_do_writes_counterfactual_side_by_side(tmp_path, capsys):
    name = list_worlds()[0]
    var, value = _intervention(name)
    task_param = make_world(name).task_params[0]
    args = ["show", name, "--out", str(tmp_path), "--do", f"{var}={value}",
            "--params", f"{task_param.name}={task_param.low}", *SMALL]
    assert main(args) == 0
    printed = [Path(p).name for p in capsys.readouterr().out.split()]
    assert printed == ["scene.png", "episode.gif", "counterfactual.gif", "side_by_side.gif", "graph.png"]
    factual, counterfactual = _clip(tmp_path / "episode.gif"), _clip(tmp_path / "counterfactual.gif")
    both = _clip(tmp_path / "side_by_side.gif")
    assert both.shape[0] == max(len(factual), len(counterfactual))
    assert both.shape[2] == 2 * W + 4 and both.shape[1] > H  # two frames and a caption band


def test_show_writes_mp4_when_imageio_ffmpeg_is_installed(tmp_path, capsys):
    pytest.importorskip("imageio_ffmpeg")
    assert main(["show", list_worlds()[0], "--out", str(tmp_path), *SMALL]) == 0
    assert "episode.mp4" in capsys.readouterr().out
    assert iio.imread(tmp_path / "episode.mp4").shape[1:] == (H, W, 3)


def test_graph_marks_the_intervention(tmp_path):
    world = make_world(list_worlds()[0])
    var, value = _intervention(world.name)

    def red(path: Path) -> int:
        img = iio.imread(path)[..., :3].astype(int)
        return int(((img[..., 0] > 190) & (img[..., 1] < 80) & (img[..., 2] < 80)).sum())

    assert red(draw_causal_graph(world, tmp_path / "plain.png")) == 0
    assert red(draw_causal_graph(world, tmp_path / "do.png", {var: value})) > 50
    world.close()


@pytest.mark.parametrize("name", list_worlds())
def test_layout_puts_parents_left_and_boxes_apart(name):
    world = make_world(name)
    graph = world.graph
    layout = layered_layout(graph.nodes, graph.adj)
    for a in graph.nodes:
        assert all(layout.columns[a] < layout.columns[b] for b in graph.children(a))
    boxes = list(Drawing(layout, {n: NodeStyle() for n in graph.nodes}).boxes.values())
    for k, p in enumerate(boxes):
        for q in boxes[k + 1:]:
            assert abs(p.x - q.x) >= (p.w + q.w) / 2 or abs(p.y - q.y) >= (p.h + q.h) / 2


@pytest.mark.parametrize(
    "do, culprit",
    [
        (lambda w: "no_such_var=1", "no_such_var"),
        (lambda w: f"{w.intervenable[0]}=abc", None),
        (lambda w: f"{w.intervenable[0]}=1e9", None),
        (lambda w: f"{next(v.name for v in w.variables if not v.observed)}=0", None),
        (lambda w: w.intervenable[0], None),
    ],
    ids=["unknown", "non-numeric", "out-of-range", "latent", "no-equals"],
)
def test_bad_do_exits_2_naming_the_variable(do, culprit, tmp_path, capsys):
    world = make_world(list_worlds()[0])
    item = do(world)
    assert main(["show", world.name, "--out", str(tmp_path), "--do", item, *SMALL]) == 2
    err = capsys.readouterr().err
    assert "error" in err and (culprit or item.partition("=")[0]) in err
    assert not (tmp_path / "scene.png").exists()
    world.close()


def test_bad_params_exit_2(tmp_path, capsys):
    name = list_worlds()[0]
    assert main(["show", name, "--out", str(tmp_path), "--params", "bogus=1", *SMALL]) == 2
    assert "bogus" in capsys.readouterr().err
    param = make_world(name).task_params[0].name
    assert main(["show", name, "--out", str(tmp_path), "--params", f"{param}=x", *SMALL]) == 2
    assert param in capsys.readouterr().err


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("docs")
    write_docs(out)
    return out


def test_docs_command_prints_what_it_writes(tmp_path, capsys):
    assert main(["docs", "--out", str(tmp_path)]) == 0
    printed = [Path(p).name for p in capsys.readouterr().out.split()]
    expected = [f"{n}{suffix}" for n in list_worlds() for suffix in (".md", "_graph.png", "_scene.png")]
    assert printed == [*expected, "README.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(printed)


def test_docs_pages_follow_the_declarations(generated):
    index = (generated / "README.md").read_text()
    for name in list_worlds():
        world = make_world(name)
        page = (generated / f"{name}.md").read_text()
        assert f"({name}.md)" in index
        assert world.description in page
        for v in world.variables:
            assert f"`{v.name}`" in page and v.description in page
            for space in (v.space_a, v.space_b):
                assert format_range(v, space) in page
                if space is not None and not v.discrete:
                    assert f"{space[0]:g}" in page and f"{space[1]:g}" in page
            for category in v.categories:
                assert category in page
            if v.is_target and v.tolerance is not None:
                assert f"±{v.tolerance:g}" in page
        for a in world.names:
            for b in world.graph.children(a):
                assert f"`{a}` → `{b}`" in page
        for p in world.task_params:
            assert f"`{p.name}` | {p.low:g} | {p.high:g}" in page
        assert _image(generated / f"{name}_scene.png").shape[2] == 3
        assert _image(generated / f"{name}_graph.png").shape[0] > 300
        world.close()


def test_committed_docs_are_up_to_date(generated):
    fresh = {p.name: p.read_text() for p in generated.glob("*.md")}
    committed = {p.name: p.read_text() for p in DOCS.glob("*.md")}
    assert sorted(committed) == sorted(fresh), "run `causalworld-bench docs --out docs/worlds`"
    for name, text in fresh.items():
        assert committed[name] == text, f"docs/worlds/{name} is stale: run `causalworld-bench docs --out docs/worlds`"
    for name in list_worlds():
        assert (DOCS / f"{name}_graph.png").is_file() and (DOCS / f"{name}_scene.png").is_file()


@pytest.mark.parametrize("columns", [False, True])
def test_learning_curves(columns, tmp_path):
    steps = list(range(0, 50, 5))
    records = [{"step": s, "loss": 1 / (s + 1), "support_acc": s / 50, "query_acc": s / 60, "note": "x"}
               for s in steps]
    history = {k: [r[k] for r in records] for k in ("step", "loss", "query_acc")} if columns else records
    img = _image(plot_learning_curves(history, tmp_path / "curves.png"))
    assert img.shape[1] > img.shape[0] > 200


def test_learning_curves_reject_empty_history(tmp_path):
    with pytest.raises(ValueError, match="no numeric series"):
        plot_learning_curves([{"step": 1}], tmp_path / "x.png")


def test_family_accuracy(tmp_path):
    table = {
        "oracle": {"prediction": (0.95, 0.9, 0.98), "intervention": 0.9, "counterfactual": 0.88},
        "chance": {"prediction": 0.5, "intervention": (0.5, 0.45, 0.55)},
    }
    assert _image(plot_family_accuracy(table, tmp_path / "families.png", "test")).shape[0] > 200
    with pytest.raises(ValueError, match="acc, lo, hi"):
        plot_family_accuracy({"a": {"prediction": (0.5, 0.4)}}, tmp_path / "bad.png")


def test_graph_comparison(tmp_path):
    world = make_world(list_worlds()[0])
    truth = world.graph.adj
    learned = truth.astype(float) * 0.8
    i, j = map(int, np.argwhere(truth)[0])
    learned[i, j], learned[j, i] = 0.0, 0.5  # one reversed edge
    learned[0, -1] = 0.0 if truth[0, -1] else 1.0  # one extra or one missing
    assert _image(plot_graph_comparison(world.graph.nodes, truth, learned, tmp_path / "cmp.png")).shape[0] > 200
    with pytest.raises(ValueError, match="adjacency"):
        plot_graph_comparison(world.graph.nodes, truth, learned[:-1], tmp_path / "bad.png")
    world.close()
