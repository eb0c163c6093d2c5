"""Scene pictures and episode clips of a world: factual, intervened, and the two side by side."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from pathlib import Path

import imageio.v3 as iio
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from causalworld_bench.viz.graph_drawing import draw_causal_graph, format_value
from causalworld_bench.worlds import World

HOLD_MS = 1200  # the last frame (the measured outcome) stays this long before the clip loops
SEPARATOR = 4  # white pixels between the two halves of a side-by-side clip


def default_params(world: World) -> dict[str, float]:
    """Task parameters at the midpoint of each declared range."""
    return {p.name: (p.low + p.high) / 2 for p in world.task_params}


def describe_do(world: World, do: Mapping[str, float]) -> str:
    """``do(a = 1, b = x)`` with values formatted by :func:`format_value`."""
    return "do(" + ", ".join(f"{n} = {format_value(world, n, v)}" for n, v in do.items()) + ")"


def caption(frame: np.ndarray, lines: Sequence[str]) -> np.ndarray:
    """``frame`` with a white band of text lines above it."""
    height, width = frame.shape[:2]
    size = max(9, width // 26)
    font = ImageFont.load_default(size=size)
    band = len(lines) * (size + 4) + 6
    band += band % 2  # keep the height even (video encoders want even sizes)
    canvas = Image.new("RGB", (width, height + band), "white")
    canvas.paste(Image.fromarray(frame), (0, band))
    draw = ImageDraw.Draw(canvas)
    for k, line in enumerate(lines):
        draw.text((5, 3 + k * (size + 4)), line, fill=(20, 20, 20), font=font)
    return np.asarray(canvas)


def side_by_side(left: Sequence[np.ndarray], right: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Frames of two clips next to each other; the shorter one holds its last frame."""
    n = max(len(left), len(right))
    gap = np.full((left[0].shape[0], SEPARATOR, 3), 255, dtype=np.uint8)
    return [
        np.concatenate([left[min(k, len(left) - 1)], gap, right[min(k, len(right) - 1)]], axis=1)
        for k in range(n)
    ]


def write_clip(path: Path, frames: Sequence[np.ndarray], frame_ms: float) -> list[Path]:
    """Write ``frames`` as a looping GIF at ``path`` (plus an MP4 beside it when imageio-ffmpeg is
    installed); the last frame is held for a moment. Returns the paths written."""
    durations = [max(20, round(frame_ms / 10) * 10)] * len(frames)
    durations[-1] = HOLD_MS
    iio.imwrite(path, np.stack(frames), extension=".gif", duration=durations, loop=0)
    written = [path]
    if importlib.util.find_spec("imageio_ffmpeg") is not None:
        mp4 = path.with_suffix(".mp4")
        fps = 1000.0 / durations[0]
        held = list(frames) + [frames[-1]] * round(HOLD_MS / durations[0])
        iio.imwrite(mp4, np.stack(held), extension=".mp4", plugin="FFMPEG", fps=fps, macro_block_size=2)
        written.append(mp4)
    return written


def show(
    world: World,
    out: str | Path,
    params: Mapping[str, float] | None = None,
    seed: int = 0,
    do: Mapping[str, float] | None = None,
    every: int = 8,
    width: int = 320,
    height: int = 240,
) -> list[Path]:
    """Write ``scene.png``, ``episode.gif`` and ``graph.png`` of one episode into ``out``; with
    ``do`` also ``counterfactual.gif`` (the same episode under the intervention) and
    ``side_by_side.gif`` (both, labelled with their outcomes). Returns the paths written."""
    params = world.check_params(default_params(world) if params is None else params)
    do = world.check_do(do)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    frame_ms = 1000.0 * world.sim.timestep * every
    scene = out / "scene.png"
    iio.imwrite(scene, world.render(params, seed, width=width, height=height))
    written = [scene]
    factual = world.frames(params, seed, every=every, width=width, height=height)
    written += write_clip(out / "episode.gif", factual, frame_ms)
    if do:
        intervened = world.frames(params, seed, do, every=every, width=width, height=height)
        written += write_clip(out / "counterfactual.gif", intervened, frame_ms)
        left = _labelled(world, factual, f"factual (seed {seed})", world.sample(params, seed))
        right = _labelled(world, intervened, describe_do(world, do), world.sample(params, seed, do))
        written += write_clip(out / "side_by_side.gif", side_by_side(left, right), frame_ms)
    written.append(draw_causal_graph(world, out / "graph.png", do))
    return written


def _labelled(world: World, frames: Sequence[np.ndarray], title: str, values: Mapping[str, float]) -> list[np.ndarray]:
    lines = [title] + [f"{t} = {format_value(world, t, values[t])}" for t in world.targets]
    return [caption(f, lines) for f in frames]
