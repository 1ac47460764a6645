"""Writes of the subsidy office, one module per topic:

- `rule`: the rule's dated parameter sets, exemptions, the payment-status certificate;
- `batch_check`: a list of applicants checked in one go;
- `decisions`: subsidy decisions validated, recorded and routed to the providers.

Callers import from `merezha.subsidies.services`; the names below are its whole interface.
"""

from merezha.subsidies.services.batch_check import batch_check_run, family_type_parse
from merezha.subsidies.services.decisions import (
    decision_payload_rows,
    decision_rows_to_drafts,
    decision_submit,
    decisions_apply,
    decisions_import,
)
from merezha.subsidies.services.rule import (
    InvalidInput,
    debt_certificate_issue,
    exemption_create,
    rule_parameters_create,
)

__all__ = [
    "InvalidInput",
    "batch_check_run",
    "debt_certificate_issue",
    "decision_payload_rows",
    "decision_rows_to_drafts",
    "decision_submit",
    "decisions_apply",
    "decisions_import",
    "exemption_create",
    "family_type_parse",
    "rule_parameters_create",
]
