import json
import logging

import pytest

from backoffice_events.context import message_context
from backoffice_platform.auth import AuthError, KeyRing, Role, hash_key, permits
from backoffice_platform.errors import InvalidInput
from backoffice_platform.logging import JsonFormatter
from backoffice_platform.pagination import decode_cursor, encode_cursor


def test_log_lines_are_json_with_the_correlation_id() -> None:
    formatter = JsonFormatter("order")
    record = logging.LogRecord("order", logging.INFO, __file__, 1, "placed %s", ("ord-1",), None)
    record.order_id = "ord-1"
    with message_context("corr-7"):
        line = json.loads(formatter.format(record))
    assert line["msg"] == "placed ord-1"
    assert line["correlation_id"] == "corr-7"
    assert line["service"] == "order" and line["order_id"] == "ord-1"


def test_keys_are_looked_up_by_hash_and_roles_checked() -> None:
    ring = KeyRing(
        [{"name": "p", "key_sha256": hash_key("secret-1"), "roles": ["partner"], "customers": ["c1"]}]
    )
    principal = ring.authenticate("secret-1")
    assert principal.can_see_customer("c1") and not principal.can_see_customer("c2")
    with pytest.raises(AuthError) as missing:
        ring.authenticate(None)
    assert missing.value.status == 401
    with pytest.raises(AuthError):
        ring.authenticate("secret-2")
    assert not permits(principal, [Role.ORDER_CLERK], read_only=False)
    auditor = KeyRing([{"name": "a", "key_sha256": hash_key("k"), "roles": ["auditor"]}]).authenticate("k")
    assert permits(auditor, [Role.ORDER_CLERK], read_only=True)
    assert not permits(auditor, [Role.ORDER_CLERK], read_only=False)


def test_cursors_round_trip_and_tampering_is_a_named_error() -> None:
    assert decode_cursor(encode_cursor({"placed_at": "2026-01-01", "id": "o1"})) == {
        "placed_at": "2026-01-01",
        "id": "o1",
    }
    with pytest.raises(InvalidInput) as bad:
        decode_cursor("not-a-cursor!")
    assert bad.value.field == "cursor"
