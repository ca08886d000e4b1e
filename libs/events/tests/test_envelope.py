import datetime as dt

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary_event

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


def assert_same_attributes(event, env: Envelope) -> None:
    """What the official CloudEvents SDK reads equals what we wrote."""
    assert event.get_id() == env.id
    assert event.get_source() == env.source
    assert event.get_type() == env.type
    assert event.get_subject() == env.subject
    assert event.get_specversion() == "1.0"
    assert event.get_time() == env.time
    assert event.get_datacontenttype() == "application/json"
    assert str(event.get_extension("streamversion")) == str(env.stream_version)
    assert event.get_extension("correlationid") == env.correlation_id
    assert event.get_extension("causationid") == env.causation_id
    assert event.get_data() == env.data


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
