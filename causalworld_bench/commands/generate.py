"""``causalworld-bench generate``: build a suite file, deterministically, on any number of workers."""

from __future__ import annotations

import argparse
import time

from causalworld_bench.data import BACKENDS, generate_suite
from causalworld_bench.tasks import OBS_MODES, SUITES, get_suite_spec


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="generate a suite as an HDF5 file")
    p.add_argument("--suite", required=True, choices=sorted(SUITES), help="which suite")
    p.add_argument("--obs", default="symbols", choices=OBS_MODES, help="observation mode (default symbols)")
    p.add_argument("--out", required=True, help="output .h5 path (written atomically)")
    p.add_argument("--workers", type=int, default=1, help="parallel workers (default 1)")
    p.add_argument("--backend", default="local", choices=BACKENDS, help="local process pool or Ray")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    checksum = generate_suite(get_suite_spec(args.suite), args.obs, args.out, args.workers, args.backend,
                              progress=not args.quiet)
    print(f"wrote {args.out} ({args.suite}, {args.obs}) in {time.perf_counter() - start:.1f} s")
    print(f"checksum {checksum}")
    return 0
