"""The operator CLI against the real Kafka: dead letters listed, shown and replayed; events tailed."""

import asyncio
import datetime as dt
import uuid

import pytest
from typer.testing import CliRunner

from backoffice_cli.main import app
from backoffice_events.envelope import Envelope
from backoffice_events.kafka import reliable_producer

pytestmark = pytest.mark.integration


def _envelope() -> Envelope:
    return Envelope(
        id=str(uuid.uuid4()),
        source="cli-test",
        type="backoffice.stock.received.v1",
        subject="stock-CLI",
        time=dt.datetime.now(dt.UTC),
        data={"sku": "CLI", "quantity": 3},
        stream_version=1,
        correlation_id="c",
    )


async def _cli(monkeypatch, kafka_config, *args: str):
    monkeypatch.setenv("COLUMNS", "250")  # rich tables would elide cells at 80 columns
    monkeypatch.setenv("TOPIC_PREFIX", kafka_config.topic_prefix)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_config.bootstrap_servers)
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


async def test_dead_letters_listed_shown_and_replayed(monkeypatch, kafka_config) -> None:
    env = _envelope()
    producer = reliable_producer(kafka_config)
    await producer.start()
    try:
        await producer.send_and_wait(
            kafka_config.topic("backoffice.orders.dlq"),
            env.kafka_value(),
            key=env.kafka_key(),
            headers=[
                *env.kafka_headers(),
                ("dlq_reason", b"ValueError: boom"),
                ("dlq_topic", kafka_config.topic("backoffice.orders").encode()),
                ("dlq_partition", b"0"),
                ("dlq_offset", b"7"),
                ("dlq_consumer", b"billing"),
            ],
        )
    finally:
        await producer.stop()
    listed = await _cli(monkeypatch, kafka_config, "dlq", "list", "backoffice.orders")
    assert "ValueError: boom" in listed and "backoffice.stock.received.v1" in listed
    shown = await _cli(monkeypatch, kafka_config, "dlq", "show", "backoffice.orders", "0")
    assert env.id in shown and '"offset": 7' in shown
    replayed = await _cli(monkeypatch, kafka_config, "dlq", "replay", "backoffice.orders")
    assert "replayed 1 record" in replayed
    tailed = await _cli(
        monkeypatch,
        kafka_config,
        "events",
        "tail",
        "--topic",
        "backoffice.orders",
        "--from-beginning",
        "--limit",
        "1",
    )
    assert "backoffice.stock.received.v1" in tailed and "stock-CLI" in tailed


async def test_status_shows_parked_outbox_rows(monkeypatch, databases, kafka_config) -> None:
    import asyncpg

    from backoffice_events.migrate import EVENT_STORE_MIGRATIONS

    url = await databases.create("t_cli_parked", [EVENT_STORE_MIGRATIONS][1:])
    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    conn = await asyncpg.connect(dsn)
    try:
        event_id = str(uuid.uuid4())
        position = await conn.fetchval(
            "INSERT INTO events (event_id, stream_id, stream_version, type, source, topic, occurred_at,"
            " correlation_id, data) VALUES ($1, 'stock-CLI', 1, 'backoffice.stock.received.v1', 'order',"
            " 'backoffice.orders', now(), 'c', '{}') RETURNING position",
            uuid.UUID(event_id),
        )
        await conn.execute(
            "INSERT INTO outbox (event_position, parked_at, park_reason) VALUES ($1, now(), $2)",
            position,
            "MessageSizeTooLargeError: too big",
        )
    finally:
        await conn.close()
    for service in ("order", "billing", "ledger", "support"):  # no shared database is read
        monkeypatch.setenv(f"{service.upper()}_DATABASE_URL", dsn)
    output = await _cli(monkeypatch, kafka_config, "status")
    assert "Parked outbox rows" in output
    assert event_id in output and "MessageSizeTooLargeError: too big" in output
    order_row = next(line for line in output.splitlines() if line.strip("│┃ ").startswith("order "))
    assert [cell.strip() for cell in order_row.strip("│┃").split("│")][2:4] == ["0", "1"]  # backlog, parked
