"""HDF5 suites: schema, atomic writer, checked reader, and deterministic parallel generation."""

from causalworld_bench.data.generate import BACKENDS, generate_suite
from causalworld_bench.data.reader import Suite, SuiteFileError, load_suite, strip_answers
from causalworld_bench.data.writer import write_suite

__all__ = ["BACKENDS", "Suite", "SuiteFileError", "generate_suite", "load_suite", "strip_answers", "write_suite"]
