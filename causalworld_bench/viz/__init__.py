"""Pictures of the worlds and of results: scenes, episode clips, causal graphs, world pages, plots.

Everything draws headless: figures are plain :class:`matplotlib.figure.Figure` objects rendered by
Agg (pyplot and its global backend are never touched), scenes come from PyBullet's TinyRenderer."""
