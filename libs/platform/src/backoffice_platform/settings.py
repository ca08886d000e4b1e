"""Service settings from the environment: one way for every service.

``DATABASE_URL`` names a PostgreSQL server (its database part is replaced by the service's
own database unless ``<SERVICE>_DATABASE_URL`` is given); ``KAFKA_BOOTSTRAP_SERVERS`` names
the broker. Without them the project-local stack (deploy/local) is used.
"""

from __future__ import annotations

import datetime as dt
import os
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from backoffice_events.kafka import KafkaConfig

from .clock import company_zone

LOCAL_PG = "postgresql://backoffice@127.0.0.1:{port}/postgres"


def local_database_server() -> str:
    return LOCAL_PG.format(port=os.environ.get("PG_PORT", "15432"))


def database_url_for(service: str) -> str:
    """SQLAlchemy asyncpg URL of ``service``'s own database."""
    explicit = os.environ.get(f"{service.upper()}_DATABASE_URL")
    if explicit:
        return to_asyncpg(explicit)
    server = os.environ.get("DATABASE_URL") or local_database_server()
    return to_asyncpg(with_database(server, f"backoffice_{service}"))


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def to_asyncpg(url: str) -> str:
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {url.split('@')[-1]}")


class ServiceSettings(BaseSettings):
    """Settings common to every service; a service subclasses it for its own."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    service_name: str = "service"
    database_url: str = ""
    kafka_bootstrap_servers: str = Field(
        default_factory=lambda: f"127.0.0.1:{os.environ.get('KAFKA_PORT', '19092')}"
    )
    topic_prefix: str = ""
    topic_partitions: int = 6
    log_level: str = "INFO"
    log_json: bool = True
    max_body_bytes: int = 1_000_000
    # "name:role[,role][:customer,customer]" entries with sha256 key hashes; see auth.py
    api_keys_file: str = ""
    # PEM file with the console's Ed25519 public key: its signed user tokens are accepted too.
    console_public_key_file: str = ""
    db_pool_size: int = 10
    # Worker processes serve /healthz, /readyz (Kafka, relay, consumers) and /metrics on this
    # port; 0 = off.
    worker_metrics_port: int = 0
    # The company's time zone (IANA name): every business date is a date in it. An unknown
    # zone is refused when the settings load, so a service never starts dating in the wrong zone.
    company_timezone: str = "UTC"
    # Retention (backoffice_platform.retention; docs/operations.md): published outbox rows, the
    # consumers' dedupe rows (the redelivery window) and idempotency keys (their lifetime).
    outbox_retention_hours: float = 168.0
    processed_events_retention_hours: float = 720.0
    idempotency_key_lifetime_hours: float = 72.0
    retention_batch_size: int = 5000
    retention_every_seconds: float = 3600.0

    @field_validator("company_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        company_zone(value)
        return value

    def company_zone(self) -> dt.tzinfo:
        """The company's time zone as a tzinfo."""
        return company_zone(self.company_timezone)

    def resolved_database_url(self) -> str:
        # ``database_url`` is read from the environment's DATABASE_URL too; that one names the
        # server, whose database part is replaced by the service's own (database_url_for).
        if self.database_url and self.database_url != os.environ.get("DATABASE_URL"):
            return to_asyncpg(self.database_url)
        return database_url_for(self.service_name)

    def kafka(self) -> KafkaConfig:
        return KafkaConfig(self.kafka_bootstrap_servers, self.topic_prefix, f"backoffice-{self.service_name}")
