import datetime as dt

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary_event
from event_test_support import assert_same_attributes

from backoffice_events.envelope import Envelope, EnvelopeError


def _envelope() -> Envelope:
    return Envelope(
        id=Envelope.new_id(),
        source="order-service",
        type="backoffice.order.placed.v1",
        subject="ord-1",
        time=dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC),
        data={"order_id": "ord-1"},
        stream_version=3,
        correlation_id="corr-1",
        causation_id="cause-1",
        actor="clerk-anna",
    )


def test_binary_mode_round_trip() -> None:
    env = _envelope()
    back = Envelope.from_kafka(env.kafka_headers(), env.kafka_value())
    assert back == env


def test_cloudevents_sdk_reads_our_record() -> None:
    env = _envelope()
    message = KafkaMessage(headers=dict(env.kafka_headers()), key=env.kafka_key(), value=env.kafka_value())
    event = from_binary_event(message)
    assert_same_attributes(event, env)


@pytest.mark.parametrize(
    ("headers", "value", "reason"),
    [
        ([], b"{}", "missing attribute"),
        (
            [("ce_specversion", b"1.0"), ("ce_id", b"1"), ("ce_source", b"x"), ("ce_type", b"t")],
            b"{nope",
            "not JSON",
        ),
        (
            [("ce_specversion", b"0.3"), ("ce_id", b"1"), ("ce_source", b"x"), ("ce_type", b"t")],
            b"{}",
            "specversion",
        ),
    ],
)
def test_unreadable_records_are_refused(headers, value, reason) -> None:
    with pytest.raises(EnvelopeError, match=reason):
        Envelope.from_kafka(headers, value)
