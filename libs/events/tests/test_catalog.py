import pytest

from backoffice_events.catalog import CATALOG, InvalidEventPayload, UnknownEventType
from backoffice_events.catalog.orders import StockAdjusted
from backoffice_events.schema import all_schemas, asyncapi, event_schema, incompatibilities


def test_upcasts_old_version_to_newest() -> None:
    event = CATALOG.decode(
        "backoffice.stock.adjusted.v1", {"sku": "A-1", "delta": -2, "note": "broken in transit"}
    )
    assert isinstance(event, StockAdjusted)
    assert event.reason == "broken in transit"
    assert event.cloud_type() == "backoffice.stock.adjusted.v2"


def test_unknown_type_and_invalid_payload_are_clear_errors() -> None:
    with pytest.raises(UnknownEventType, match="unknown event type"):
        CATALOG.decode("backoffice.order.teleported.v1", {})
    with pytest.raises(UnknownEventType, match="not of the form"):
        CATALOG.decode("OrderPlaced", {})
    with pytest.raises(InvalidEventPayload, match="quantity"):
        CATALOG.decode("backoffice.stock.received.v1", {"sku": "A", "quantity": "lots"})
    with pytest.raises(InvalidEventPayload, match="JSON object"):
        CATALOG.decode("backoffice.stock.received.v1", [1, 2])


def test_json_schema_export_covers_every_event() -> None:
    schemas = all_schemas()
    assert "backoffice.order.placed.v1" in schemas
    assert "backoffice.stock.adjusted.v1" in schemas and "backoffice.stock.adjusted.v2" in schemas
    placed = schemas["backoffice.order.placed.v1"]
    assert placed["x-topic"] == "backoffice.orders"
    assert "lines" in placed["required"]
    doc = asyncapi()
    assert doc["asyncapi"] == "3.0.0"
    assert doc["channels"]["backoffice_orders"]["address"] == "backoffice.orders"


def test_incompatible_change_is_detected() -> None:
    v1 = event_schema(CATALOG.model("backoffice.stock.adjusted.v1"))
    v2 = event_schema(CATALOG.model("backoffice.stock.adjusted.v2"))
    problems = incompatibilities(v1, v2)
    assert any("note: field removed" in p for p in problems)
    assert any("reason: field became required" in p for p in problems)
    assert incompatibilities(v2, v2) == []
