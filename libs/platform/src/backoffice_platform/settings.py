"""Service settings from the environment: one way for every service.

``DATABASE_URL`` names a PostgreSQL server (its database part is replaced by the service's
own database unless ``<SERVICE>_DATABASE_URL`` is given); ``KAFKA_BOOTSTRAP_SERVERS`` names
the broker. Without them the project-local stack (deploy/local) is used.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from backoffice_events.kafka import KafkaConfig

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
    # Worker processes serve /metrics (and a liveness answer) on this port; 0 = off.
    worker_metrics_port: int = 0

    def resolved_database_url(self) -> str:
        return to_asyncpg(self.database_url) if self.database_url else database_url_for(self.service_name)

    def kafka(self) -> KafkaConfig:
        return KafkaConfig(self.kafka_bootstrap_servers, self.topic_prefix, f"backoffice-{self.service_name}")
