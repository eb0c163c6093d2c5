"""Shared fixtures and the --runslow switch."""

from __future__ import annotations

import numpy as np
import pytest

from causalworld_bench import list_worlds, make_world


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", default=False, help="also run tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: pass --runslow to run")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="module", params=list_worlds())
def world(request):
    w = make_world(request.param)
    yield w
    w.close()


@pytest.fixture(scope="module")
def params(world):
    return world.sample_task_params(np.random.default_rng(1234))


@pytest.fixture(scope="session")
def mini_suite(tmp_path_factory):
    """The ``mini`` suite in symbols mode, generated once per test session."""
    from causalworld_bench.data import generate_suite
    from causalworld_bench.tasks import get_suite_spec

    path = tmp_path_factory.mktemp("suites") / "mini.h5"
    generate_suite(get_suite_spec("mini"), "symbols", path, workers=1, progress=False)
    return path
