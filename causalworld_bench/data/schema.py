"""The HDF5 suite format (version 1), documented in docs/suite_format.md.

Layout::

    /                                   attrs: format, format_version, suite, suite_version, obs_mode,
                                               package_version, generation (JSON), checksum,
                                               public_checksum
    /worlds/<world>                     attrs: declaration (JSON), obs_names, outcome_names,
                                               heldout_intervention
    /tasks/<world>/<family>/<split>/    what an agent may see
        task_index      (n,)            int32
        target          (n,)            int8   index into outcome_names
        do_variable     (n,)            int16  index into the world's variables, -1 = none
        support_x       (n, S, ...)            observations (symbols float64 / state float32 / pixels uint8)
        support_outcomes(n, S, O)       float64
        query_x         (n, Q, ...)
        query_do        (n, Q)          float64 NaN = no intervention
        query_factual   (n, Q, O)       float64 NaN unless counterfactual
    /answers/<world>/<family>/<split>/query_answer (n, Q) float64
    /secrets/<world>/<family>/<split>/  params (n, P) float64, seeds (n, S+Q) uint64

A participant's copy keeps ``/answers`` of the ``train`` split only and no ``/secrets``.
"""

FORMAT = "causalworld-bench-suite"
FORMAT_VERSION = 1

TASK_FIELDS = (
    "task_index", "target", "do_variable", "support_x", "support_outcomes", "query_x", "query_do",
    "query_factual",
)
ANSWER_FIELDS = ("query_answer",)
SECRET_FIELDS = ("params", "seeds")
REQUIRED_ATTRS = (
    "format", "format_version", "suite", "suite_version", "obs_mode", "package_version", "generation",
    "checksum", "public_checksum",
)
