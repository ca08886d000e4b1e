"""``backoffice``: the operator CLI."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from backoffice_events.catalog import EVENT_TOPICS
from backoffice_events.dlq import read_dead_letters, replay_dead_letters
from backoffice_events.envelope import Envelope, EnvelopeError
from backoffice_events.kafka import KafkaConfig
from backoffice_platform.settings import ServiceSettings

from . import operations
from .local import admin_key, api_url
from .services import available, definition
from .users import users

app = typer.Typer(help="Operate a running Backoffice system.", no_args_is_help=True)
dlq = typer.Typer(help="Dead letters: inspect and replay.", no_args_is_help=True)
ledger = typer.Typer(help="The books: rebuild and check.", no_args_is_help=True)
events = typer.Typer(help="Watch the event topics.", no_args_is_help=True)
app.add_typer(dlq, name="dlq")
app.add_typer(ledger, name="ledger")
app.add_typer(events, name="events")
app.add_typer(users, name="users")
console = Console()


def _kafka() -> KafkaConfig:
    return ServiceSettings().kafka()


def _headers() -> dict[str, str]:
    return {"X-API-Key": admin_key()}


@app.command()
def status() -> None:
    """Services, consumer lag, outbox backlog and dead letters."""

    async def gather() -> tuple[list[list[str]], dict[str, int], list[list[str]]]:
        rows = []
        parked_rows: list[list[str]] = []
        kafka = _kafka()
        for name in available():
            defn = definition(name)
            try:
                async with httpx.AsyncClient(timeout=2) as client:
                    ready = (await client.get(api_url(name) + "/readyz")).json().get("status", "?")
            except httpx.HTTPError:
                ready = "down"
            backlog, parked = await operations.outbox_counts(defn)
            if parked:
                for outbox_id, event_type, event_id, reason in await operations.parked_rows(defn):
                    parked_rows.append([name, str(outbox_id), event_type, event_id, reason])
            lags = []
            for group, topics in operations.consumer_groups(defn):
                lag = await operations.group_lag(kafka, group, topics)
                lags.append(f"{group}={'?' if lag is None else lag}")
            rows.append(
                [
                    name,
                    ready,
                    "?" if backlog is None else str(backlog),
                    "?" if parked is None else str(parked),
                    ", ".join(lags) or "-",
                ]
            )
        return rows, await operations.dead_letter_counts(kafka), parked_rows

    rows, dead, parked_rows = asyncio.run(gather())
    table = Table(title="Backoffice services")
    for col in ("service", "api", "outbox backlog", "parked", "consumer lag"):
        table.add_column(col)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    if parked_rows:
        # Refused by the broker for good: fix the cause, then publish again (docs/operations.md).
        parked = Table(title="Parked outbox rows (refused by the broker)")
        for col in ("service", "outbox id", "event type", "event id", "reason"):
            parked.add_column(col)
        for row in parked_rows:
            parked.add_row(*row)
        console.print(parked)
    dl = Table(title="Dead letters")
    dl.add_column("topic")
    dl.add_column("records", justify="right")
    for topic, count in dead.items():
        dl.add_row(topic, str(count))
    console.print(dl)


@dlq.command("list")
def dlq_list(topic: Annotated[str, typer.Argument(help="event topic, e.g. backoffice.orders")]) -> None:
    """List the dead letters of a topic."""
    letters = asyncio.run(read_dead_letters(_kafka(), topic))
    table = Table(title=f"{topic}.dlq")
    for col in ("offset", "event type", "event id", "consumer", "reason"):
        table.add_column(col)
    for d in letters:
        table.add_row(str(d.offset), d.event_type or "-", d.event_id or "-", d.consumer, d.reason[:120])
    console.print(table)


@dlq.command("show")
def dlq_show(topic: str, offset: int) -> None:
    """Show one dead letter whole."""
    letters = asyncio.run(read_dead_letters(_kafka(), topic))
    for d in letters:
        if d.offset == offset:
            console.print_json(
                json.dumps(
                    {
                        "offset": d.offset,
                        "reason": d.reason,
                        "consumer": d.consumer,
                        "failed_at": d.failed_at,
                        "original": {
                            "topic": d.original_topic,
                            "partition": d.original_partition,
                            "offset": d.original_offset,
                        },
                        "headers": {k: v.decode(errors="replace") for k, v in d.headers},
                        "value": (d.value or b"").decode(errors="replace"),
                    }
                )
            )
            return
    raise typer.Exit(code=1)


@dlq.command("replay")
def dlq_replay(
    topic: str, offset: Annotated[list[int] | None, typer.Option(help="only these offsets")] = None
) -> None:
    """Re-publish dead letters to their original topic (consumers dedupe by event id)."""
    count = asyncio.run(replay_dead_letters(_kafka(), topic, set(offset) if offset else None))
    console.print(f"replayed {count} record(s) to {topic}")


@ledger.command("rebuild")
def ledger_rebuild() -> None:
    """Rebuild the books from the topics; reads stay online; switch over when caught up."""
    with httpx.Client(base_url=api_url("ledger"), headers=_headers(), timeout=10) as client:
        started = client.post("/rebuild")
        started.raise_for_status()
        with Progress(console=console) as progress:
            task = progress.add_task("rebuilding", total=None)
            while True:
                state = client.get("/rebuild/status").json()
                progress.update(
                    task,
                    description=f"rebuild: {state.get('state')}",
                    completed=state.get("processed", 0),
                    total=state.get("target") or None,
                )
                if state.get("state") in ("done", "failed", "idle"):
                    break
                time.sleep(0.5)
    console.print(state)
    if state.get("state") == "failed":
        raise typer.Exit(code=1)


@ledger.command("check")
def ledger_check() -> None:
    """Check the ledger invariants; exit 1 if anything is off."""
    with httpx.Client(base_url=api_url("ledger"), headers=_headers(), timeout=30) as client:
        result = client.get("/checks/invariants").json()
    console.print_json(json.dumps(result))
    if result.get("violations"):
        raise typer.Exit(code=1)


@events.command("tail")
def events_tail(
    topic: Annotated[list[str] | None, typer.Option(help="topics (default: all event topics)")] = None,
    from_beginning: bool = False,
    limit: int = 0,
) -> None:
    """Print events as they arrive (CloudEvents attributes and data)."""
    from aiokafka import AIOKafkaConsumer

    async def tail() -> None:
        kafka = _kafka()
        consumer = AIOKafkaConsumer(
            *[kafka.topic(t) for t in (topic or EVENT_TOPICS)],
            bootstrap_servers=kafka.bootstrap_servers,
            auto_offset_reset="earliest" if from_beginning else "latest",
            enable_auto_commit=False,
        )
        await consumer.start()
        seen = 0
        try:
            async for record in consumer:
                try:
                    env = Envelope.from_kafka(record.headers, record.value)
                    console.print(
                        f"[bold]{env.time.isoformat()}[/] {env.type} [dim]{env.subject} "
                        f"v{env.stream_version} corr={env.correlation_id}[/]"
                    )
                    console.print_json(json.dumps(env.data))
                except EnvelopeError as exc:
                    console.print(f"[red]unreadable record at {record.topic}:{record.offset}: {exc}[/]")
                seen += 1
                if limit and seen >= limit:
                    break
        finally:
            await consumer.stop()

    asyncio.run(tail())


@app.command()
def seed() -> None:
    """Seed the demo company into the running system (idempotent)."""
    from .seed import seed_demo

    seed_demo(admin_key())


if __name__ == "__main__":
    app()
