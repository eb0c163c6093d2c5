"""Perception: an observation -> K symbolic latents z_1..z_K, each in R^{d_z}.

``symbols`` mode
    The observation already is a vector of named scalars, so perception is the identity plus a
    per-variable embedding. Each value is standardised with the world's training statistics
    (:class:`Standardizer`), then :class:`SymbolEmbedding` maps it to
    ``z_i = [x~_i, tanh(a_i * x~_i + b_i)]`` with a learned per-variable scale ``a_i`` and bias
    ``b_i`` (``d_z - 1`` of each). The first coordinate keeps the raw standardised value, so a
    mechanism can stay linear in it; the tanh features give it cheap, learnable step shapes
    (thresholds such as "the ball stopped beyond the line"). Outcome nodes use the same embedding,
    so a predicted outcome is fed to its children exactly like an observed one, and ``do(X = v)``
    is just "embed v in X's slot".

``pixels`` mode
    :class:`PixelEncoder` is a small Vision Transformer: the 64x64x3 image is cut into 8x8 patches
    (64 tokens), encoded by a few transformer layers, and K learned query tokens cross-attend to
    the patch tokens (one query token per symbol: the "K heads"). Each head emits one scalar, the
    estimated value of its symbol in the world's standardised units, which then goes through the
    same :class:`SymbolEmbedding` as in ``symbols`` mode. What pushes a head to capture one factor
    is documented in :mod:`csml_agent.meta` (supervision in pixels mode).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn


class Standardizer(nn.Module):
    """Per-variable ``(x - mean) / std`` with statistics fixed from training data (buffers, so they
    are saved with the state dict)."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(n))
        self.register_buffer("std", torch.ones(n))

    def fit(self, values: np.ndarray) -> None:
        """``values`` (N, n); NaN entries are ignored; constant columns get std 1."""
        v = np.asarray(values, dtype=np.float64).reshape(-1, self.mean.shape[0])
        ok = np.isfinite(v)
        n = ok.sum(axis=0)
        filled = np.where(ok, v, 0.0)
        mean = np.where(n > 0, filled.sum(axis=0) / np.maximum(n, 1), 0.0)
        var = np.where(ok, (v - mean) ** 2, 0.0).sum(axis=0) / np.maximum(n, 1)
        std = np.where((n > 1) & (var > 1e-16), np.sqrt(var), 1.0)
        self.mean.copy_(torch.as_tensor(mean, dtype=self.mean.dtype))
        self.std.copy_(torch.as_tensor(std, dtype=self.std.dtype))

    def forward(self, x: torch.Tensor, idx: slice | torch.Tensor | None = None) -> torch.Tensor:
        m, s = (self.mean, self.std) if idx is None else (self.mean[idx], self.std[idx])
        return (x - m) / s

    def inverse(self, x: torch.Tensor, idx: slice | torch.Tensor | int | None = None) -> torch.Tensor:
        m, s = (self.mean, self.std) if idx is None else (self.mean[idx], self.std[idx])
        return x * s + m


class SymbolEmbedding(nn.Module):
    """Per-variable value -> d_z embedding: ``[x, tanh(a * x + b)]`` with learned ``a``, ``b``.

    ``forward`` takes standardised values of shape (..., K) and returns (..., K, d_z).
    The scales are initialised spread out (0.5 .. 3) and the biases over [-2, 2], so at
    initialisation the tanh features already tile the standardised range like soft bins.
    """

    def __init__(self, n_vars: int, d_z: int, seed: int = 0) -> None:
        super().__init__()
        if d_z < 1:
            raise ValueError(f"d_z must be >= 1, got {d_z}")
        self.n_vars, self.d_z = n_vars, d_z
        g = torch.Generator().manual_seed(seed)
        m = d_z - 1
        scale = torch.linspace(0.5, 3.0, max(m, 1))[:m] if m else torch.zeros(0)
        sign = torch.where(torch.rand(n_vars, m, generator=g) < 0.5, -1.0, 1.0)
        self.scale = nn.Parameter(scale.expand(n_vars, m) * sign)
        self.bias = nn.Parameter(torch.rand(n_vars, m, generator=g) * 4.0 - 2.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.unsqueeze(-1)
        return torch.cat([x, torch.tanh(x * self.scale + self.bias)], dim=-1)


class _Block(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class PixelEncoder(nn.Module):
    """A small ViT with K output heads: image (B, 64, 64, 3) uint8 -> K scalars (B, K).

    Patchify into ``patch`` x ``patch`` patches, a linear patch embedding plus learned position
    embeddings, ``depth`` pre-norm transformer layers, then K learned query tokens cross-attend
    to the patch tokens (one token per symbol) and a per-head linear read-out gives one scalar each.
    """

    def __init__(self, k: int, image: int = 64, patch: int = 8, dim: int = 64, depth: int = 3,
                 heads: int = 4) -> None:
        super().__init__()
        if image % patch:
            raise ValueError(f"image size {image} is not a multiple of patch size {patch}")
        self.k, self.image, self.patch = k, image, patch
        n_patches = (image // patch) ** 2
        self.embed = nn.Linear(3 * patch * patch, dim)
        self.pos = nn.Parameter(torch.randn(1, n_patches, dim) * 0.02)
        self.blocks = nn.ModuleList(_Block(dim, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.queries = nn.Parameter(torch.randn(1, k, dim) * 0.02)
        self.cross = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.head_norm = nn.LayerNorm(dim)
        self.read_w = nn.Parameter(torch.randn(k, dim) / math.sqrt(dim))
        self.read_b = nn.Parameter(torch.zeros(k))

    def patchify(self, img: torch.Tensor) -> torch.Tensor:
        b, h, w, c = img.shape
        if (h, w, c) != (self.image, self.image, 3):
            raise ValueError(f"expected images of shape (B, {self.image}, {self.image}, 3), got {tuple(img.shape)}")
        p = self.patch
        x = img.reshape(b, h // p, p, w // p, p, c).permute(0, 1, 3, 2, 4, 5)
        return x.reshape(b, (h // p) * (w // p), p * p * c)

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        x = img.float() / 255.0 if img.dtype == torch.uint8 else img.float()
        tokens = self.embed(self.patchify(x) - 0.5) + self.pos
        for block in self.blocks:
            tokens = block(tokens)
        tokens = self.norm(tokens)
        q = self.queries.expand(tokens.shape[0], -1, -1)
        heads = self.head_norm(q + self.cross(q, tokens, tokens, need_weights=False)[0])  # (B, K, dim)
        return (heads * self.read_w).sum(-1) + self.read_b
