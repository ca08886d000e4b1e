"""CloudEvents 1.0 envelope and its Kafka protocol binding (binary content mode).

On Kafka an event is: key = subject (the aggregate id, so one aggregate's events stay in
one partition and in order), value = the JSON data, and headers ``ce_<attribute>`` for every
context attribute plus ``content-type``. Any CloudEvents-aware consumer can read it.
Extensions: ``streamversion`` (position in the aggregate's stream), ``correlationid``,
``causationid`` and ``actor`` (who caused the event: a person of the console, an API key's
principal, or ``job:<name>`` for a periodic job).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"
_HEADER_PREFIX = "ce_"
_KNOWN = frozenset(
    (
        "specversion",
        "id",
        "source",
        "type",
        "subject",
        "time",
        "streamversion",
        "correlationid",
        "causationid",
        "actor",
    )
)


class EnvelopeError(ValueError):
    """A Kafka record that is not a readable CloudEvent."""


@dataclass(frozen=True, slots=True)
class Envelope:
    """One event with its CloudEvents context attributes."""

    id: str
    source: str
    type: str
    subject: str
    time: dt.datetime
    data: dict[str, Any]
    stream_version: int
    correlation_id: str
    causation_id: str | None = None
    actor: str | None = None
    datacontenttype: str = CONTENT_TYPE
    extra: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def new_id() -> str:
        return str(uuid.uuid4())

    # Kafka binding -------------------------------------------------------
    def kafka_headers(self) -> list[tuple[str, bytes]]:
        headers = [
            ("ce_specversion", SPECVERSION.encode()),
            ("ce_id", self.id.encode()),
            ("ce_source", self.source.encode()),
            ("ce_type", self.type.encode()),
            ("ce_subject", self.subject.encode()),
            ("ce_time", format_time(self.time).encode()),
            ("ce_streamversion", str(self.stream_version).encode()),
            ("ce_correlationid", self.correlation_id.encode()),
            ("content-type", self.datacontenttype.encode()),
        ]
        if self.causation_id:
            headers.append(("ce_causationid", self.causation_id.encode()))
        if self.actor:
            headers.append(("ce_actor", self.actor.encode()))
        headers.extend((_HEADER_PREFIX + k, v.encode()) for k, v in self.extra.items())
        return headers

    def kafka_key(self) -> bytes:
        return self.subject.encode()

    def kafka_value(self) -> bytes:
        return orjson.dumps(self.data)

    @classmethod
    def from_kafka(
        cls, headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...], value: bytes | None
    ) -> Envelope:
        """Decode a binary-mode CloudEvent; raise ``EnvelopeError`` naming what is wrong."""
        attrs: dict[str, str] = {}
        content_type = CONTENT_TYPE
        for name, raw in headers or ():
            try:
                text = raw.decode() if raw is not None else ""
            except UnicodeDecodeError:
                raise EnvelopeError(f"header {name} is not UTF-8") from None
            if name.startswith(_HEADER_PREFIX):
                attrs[name[len(_HEADER_PREFIX) :]] = text
            elif name.lower() == "content-type":
                content_type = text
        missing = [a for a in ("specversion", "id", "source", "type") if a not in attrs]
        if missing:
            raise EnvelopeError(f"not a CloudEvent: missing attribute(s) {', '.join(missing)}")
        if attrs["specversion"] != SPECVERSION:
            raise EnvelopeError(f"unsupported CloudEvents specversion {attrs['specversion']!r}")
        if not content_type.startswith("application/json"):
            raise EnvelopeError(f"unsupported content type {content_type!r}")
        if value is None:
            raise EnvelopeError("record has no value")
        try:
            data = orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise EnvelopeError(f"value is not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise EnvelopeError("value must be a JSON object")
        try:
            time = parse_time(attrs["time"]) if "time" in attrs else dt.datetime.now(dt.UTC)
            version = int(attrs.get("streamversion", "0"))
        except ValueError as exc:
            raise EnvelopeError(f"bad attribute: {exc}") from None
        return cls(
            id=attrs["id"],
            source=attrs["source"],
            type=attrs["type"],
            subject=attrs.get("subject", ""),
            time=time,
            data=data,
            stream_version=version,
            correlation_id=attrs.get("correlationid", attrs["id"]),
            causation_id=attrs.get("causationid"),
            actor=attrs.get("actor"),
            datacontenttype=content_type,
            extra={k: v for k, v in attrs.items() if k not in _KNOWN},
        )


def format_time(value: dt.datetime) -> str:
    """RFC 3339 in UTC with a Z suffix."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def parse_time(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"time {value!r} has no time zone")
    return parsed
