"""Walks every endpoint of every service with every role (and with no key).

The rules every endpoint must follow: no key is 401; an unknown key is 401; admins pass;
auditors pass every read and are refused (403) every write; a role either passes the role
check or gets 403, never anything in between. The expected write permissions per role are
spelled out below for the endpoints where a wrong grant would matter most.
"""

import re
from contextlib import AsyncExitStack

import pytest

from backoffice_platform.auth import Role
from backoffice_platform.testing import running_service

pytestmark = pytest.mark.integration

OPEN = {"/healthz", "/readyz", "/metrics"}

# (service, method, path) -> roles besides admin that may call it. Checked exactly.
EXPECTED_WRITES = {
    ("order", "POST", "/orders"): {Role.ORDER_CLERK, Role.SALES_REP, Role.PARTNER},
    ("order", "POST", "/products"): {Role.ORDER_CLERK},
    ("order", "POST", "/orders/{order_id}/shipments"): {Role.ORDER_CLERK},
    ("billing", "POST", "/payments"): {Role.BILLING_CLERK},
    ("billing", "POST", "/supplier-bills"): {Role.PAYABLES_CLERK},
    ("billing", "POST", "/supplier-bills/{bill_id}/approve"): {Role.APPROVER},
    ("billing", "POST", "/payment-runs"): {Role.PAYABLES_CLERK},
    ("support", "POST", "/tickets"): {Role.SUPPORT_AGENT, Role.PARTNER},
    ("ledger", "POST", "/periods/{period}/close"): {Role.ACCOUNTANT},
    ("ledger", "POST", "/periods/{period}/reopen"): {Role.ACCOUNTANT},
    ("ledger", "POST", "/journal-entries"): {Role.ACCOUNTANT},
    ("ledger", "POST", "/journal-entries/{entry_id}/approve"): {Role.ACCOUNTANT},
    ("ledger", "POST", "/journal-entries/{entry_id}/reject"): {Role.ACCOUNTANT},
    ("ledger", "POST", "/journal-entries/{entry_id}/reverse"): {Role.ACCOUNTANT},
}


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x-matrix-1", path)


async def _call(client, method: str, path: str, headers: dict[str, str]):
    return await client.request(method, _fill(path), headers=headers, json={} if method != "GET" else None)


@pytest.mark.timeout(600)
async def test_every_endpoint_with_every_role(databases, kafka_config) -> None:
    from billing_service.service import DEFINITION as BILLING
    from ledger_service.service import DEFINITION as LEDGER
    from order_service.service import DEFINITION as ORDER
    from support_service.service import DEFINITION as SUPPORT

    problems: list[str] = []
    checked = 0
    async with AsyncExitStack() as stack:
        for definition in (ORDER, BILLING, LEDGER, SUPPORT):
            svc = await stack.enter_async_context(
                running_service(definition, databases, kafka_config, start_worker=False)
            )
            spec = svc.client._transport.app.openapi()  # type: ignore[attr-defined]
            for path, operations in spec["paths"].items():
                if path in OPEN:
                    continue
                for method in (m.upper() for m in operations):
                    where = f"{definition.name} {method} {path}"
                    checked += 1
                    for headers, label in (
                        ({"X-API-Key": ""}, "no key"),
                        ({"X-API-Key": "wrong"}, "bad key"),
                    ):
                        status = (await _call(svc.client, method, path, headers)).status_code
                        if status != 401:
                            problems.append(f"{where}: {label} gave {status}, not 401")
                    allowed = set()
                    for role in Role:
                        status = (await _call(svc.client, method, path, svc.as_role(role))).status_code
                        if status == 401:
                            problems.append(f"{where}: {role} got 401")
                        if status != 403:
                            allowed.add(role)
                    if Role.ADMIN not in allowed:
                        problems.append(f"{where}: admin refused")
                    if method == "GET" and Role.AUDITOR not in allowed:
                        problems.append(f"{where}: auditor may not read")
                    if method != "GET" and Role.AUDITOR in allowed:
                        problems.append(f"{where}: auditor may write")
                    expected = EXPECTED_WRITES.get((definition.name, method, path))
                    if expected is not None:
                        got = allowed - {Role.ADMIN, Role.SERVICE}
                        if got != expected:
                            problems.append(f"{where}: roles {sorted(got)} != expected {sorted(expected)}")
    assert checked > 60
    assert problems == [], "\n".join(problems)
