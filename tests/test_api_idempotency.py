"""merezha.api_idempotency: every write route of the API takes an Idempotency-Key."""

from __future__ import annotations

from merezha.api import api

#: Every write of the API and how it keeps its key. A new write route must be added here, and take the
#: header (merezha.api_idempotency.idempotent, or a service that claims the key itself).
WRITES = {
    "/api/v1/payments": "required; payments.services.payment_create",
    "/api/v1/payments/{payment_id}/cancel": "optional; the first answer is kept",
    "/api/v1/days/{day}/close": "optional; the first answer is kept",
    "/api/v1/registers/{number}/acknowledge": "optional; the first answer is kept",
    "/api/v1/inbox/{document_id}/acknowledge": "optional; the first answer is kept",
    "/api/v1/registry/uploads": "optional; the first answer is kept",
    "/api/v1/snapshots": "optional; providers.services.snapshot_upload",
    "/api/v1/subsidy/certificates": "optional; the first answer is kept",
    "/api/v1/subsidy/batch-checks": "optional; the first answer is kept",
    "/api/v1/subsidy/decisions": "required; subsidies.services.decision_submit",
    "/api/v1/subsidy/decisions/upload": "optional; the first answer is kept",
    "/api/v1/service-aliases": "optional; the first answer is kept",
    "/api/v1/service-aliases/{alias_id}": "optional; the first answer is kept",
    "/api/v1/settlement/statements": "optional; the first answer is kept",
}
#: The method of a write that is not a POST.
METHODS = {"/api/v1/service-aliases/{alias_id}": "delete"}


def test_every_write_route_is_known_and_documents_the_header():
    paths = api.get_openapi_schema()["paths"]
    writes = {
        (method, path)
        for path, operations in paths.items()
        for method in operations
        if method in ("post", "put", "patch", "delete")
    }
    assert writes == {(METHODS.get(path, "post"), path) for path in WRITES}
    for path, how in WRITES.items():
        operation = paths[path][METHODS.get(path, "post")]
        headers = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}
        if path == "/api/v1/payments":  # reads the header itself (a missing key: 422 with its own message)
            assert headers == {}
            continue
        assert headers["Idempotency-Key"]["required"] is how.startswith("required"), path
        assert "1 to 128 printable ASCII characters" in headers["Idempotency-Key"]["description"], path
