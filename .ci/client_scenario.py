"""Drives a running mentor-match server through a client generated from its
OpenAPI document by openapi-python-client, as each role would: import,
run, approve, reject, export. Every answer must parse into the generated
types (a model, bytes or text), never a bare dictionary, and every status
must be one the document lists.

Usage: client_scenario.py BASE_URL ADMIN SYSTEM CURATOR ANALYST FIXTURE
"""

import importlib
import json
import sys

from mentor_match_client import AuthenticatedClient
from mentor_match_client.types import Unset


def call(client, tag, operation, **kwargs):
    module = importlib.import_module(f"mentor_match_client.api.{tag}.{operation}")
    return module.sync_detailed(client=client, **kwargs)


def typed(value):
    """Whether a parsed answer is one of the generated types all the way down."""
    if isinstance(value, (bytes, str, int, float, bool)) or value is None:
        return True
    if isinstance(value, dict):
        return False
    if isinstance(value, list):
        return all(typed(v) for v in value)
    return hasattr(value, "to_dict")


def expect(response, status, what):
    code = int(response.status_code)
    if code != status:
        raise SystemExit(f"{what}: expected {status}, got {code}: {response.content[:500]!r}")
    if response.headers.get("content-type", "").startswith(("application/json", "application/problem+json")):
        if response.parsed is None or not typed(response.parsed):
            raise SystemExit(f"{what}: the answer did not parse into generated types: {response.parsed!r}")
    return response.parsed


def model(module, name):
    return getattr(importlib.import_module("mentor_match_client.models"), name)


def main():
    base, admin_key, system_key, curator_key, analyst_key, fixture = sys.argv[1:7]
    clients = {
        # Curators read in Russian, as they do.
        role: AuthenticatedClient(
            base_url=base,
            token=key,
            raise_on_unexpected_status=True,
            headers={"Accept-Language": "ru" if role == "curator" else "en"},
        )
        for role, key in [
            ("admin", admin_key),
            ("system", system_key),
            ("curator", curator_key),
            ("analyst", analyst_key),
        ]
    }
    admin, system, curator, analyst = (clients[r] for r in ("admin", "system", "curator", "analyst"))

    with open(fixture, encoding="utf-8") as f:
        school = json.load(f)
    batch_type = model("models", "ImportRequest")
    report = expect(
        call(admin, "import_", "import_batch", body=batch_type.from_dict(school)),
        200,
        "admin imports the school",
    )
    print("import:", report.to_dict() if hasattr(report, "to_dict") else report)

    # Every role reads the banks it may read.
    expect(call(system, "mentees", "list_mentees"), 200, "system lists mentees (masked)")
    expect(call(system, "mentees", "get_mentee", id="p-vasiliev"), 200, "system reads a masked pupil")
    expect(call(curator, "mentees", "get_mentee", id="p-vasiliev"), 200, "curator reads the pupil")
    expect(call(analyst, "mentees", "list_mentees"), 403, "analyst may not read profiles")

    # A curator runs the teacher–pupil programme and decides.
    run = expect(call(curator, "runs", "start_run", id="tp-2026", body=model("models", "StartRunRequest")()), 202, "curator starts a run")
    run = expect(call(curator, "runs", "get_run", id=run.id, wait=30), 200, "curator reads the run")
    proposals = run.proposals if not isinstance(run.proposals, Unset) else []
    if len(proposals) < 2:
        raise SystemExit(f"the run proposed {len(proposals)} pairs")
    approved = expect(call(curator, "proposals", "approve", id=proposals[0].id), 200, "curator approves")
    print("approved:", len(approved.pairs), "pair(s)")
    reject = model("models", "RejectRequest")(reason="несовместимые графики")
    expect(call(curator, "proposals", "reject", id=proposals[1].id, body=reject), 204, "curator rejects")
    expect(call(admin, "proposals", "approve", id=proposals[1].id), 409, "a rejected proposal stays rejected")

    # The order list, as text and as a workbook.
    csv = call(curator, "pairs", "export_csv", id="tp-2026")
    expect(csv, 200, "curator exports the order list (CSV)")
    xlsx = call(curator, "pairs", "export_xlsx", id="tp-2026")
    expect(xlsx, 200, "curator exports the order list (XLSX)")
    if not (isinstance(xlsx.parsed, (bytes, bytearray)) or hasattr(xlsx.parsed, "payload")):
        raise SystemExit(f"the XLSX export did not parse as binary: {type(xlsx.parsed)}")
    expect(call(curator, "pairs", "list_pairs", programme_id="tp-2026"), 200, "curator lists pairs")

    # Others, within their roles.
    expect(call(system, "runs", "get_run", id=run.id), 200, "system reads the run")
    dry = model("models", "StartRunRequest")(dry_run=True)
    expect(call(system, "runs", "start_run", id="tp-2026", body=dry), 202, "system starts a dry run")
    expect(call(system, "proposals", "approve", id=proposals[2].id if len(proposals) > 2 else proposals[0].id), 403, "system may not approve")
    seen = expect(call(analyst, "runs", "get_run", id=run.id), 200, "analyst reads the run (pseudonymous)")
    if any(p.mentor_id == proposals[0].mentor_id for p in seen.proposals):
        raise SystemExit("the analyst saw a real mentor id")
    expect(call(analyst, "runs", "readiness", id="tp-2026"), 200, "analyst reads readiness")
    expect(
        call(analyst, "reports", "indicators", organization_id="school-7", period="2026-12"),
        200,
        "analyst reads the indicators",
    )
    print("client scenario: every answer parsed into generated types")


if __name__ == "__main__":
    main()
