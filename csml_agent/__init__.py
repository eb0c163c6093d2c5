"""CSML, the causal-symbolic meta-learner: perception -> K symbols -> a learned causal DAG ->
graph reasoning (do and counterfactuals by surgery and abduction), meta-trained bi-level.

Modules: :mod:`~csml_agent.perception`, :mod:`~csml_agent.causal_induction`,
:mod:`~csml_agent.reasoning`, :mod:`~csml_agent.meta`, :mod:`~csml_agent.agent`
(``load_agent("csml_agent.agent:CSMLAgent")``).
"""
