"""DATABASE_URL names a server: each service uses its own database on it."""

import pytest

from backoffice_platform.settings import ServiceSettings


def test_database_url_from_the_environment_names_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db.example:5432/postgres")
    monkeypatch.delenv("ORDER_DATABASE_URL", raising=False)
    settings = ServiceSettings(service_name="order")
    assert settings.resolved_database_url() == "postgresql+asyncpg://u:p@db.example:5432/backoffice_order"
    monkeypatch.setenv("ORDER_DATABASE_URL", "postgresql://u:p@other:5432/orders")
    assert settings.resolved_database_url() == "postgresql+asyncpg://u:p@other:5432/orders"
    explicit = ServiceSettings(service_name="order", database_url="postgresql://u@h:1/mine")
    assert explicit.resolved_database_url() == "postgresql+asyncpg://u@h:1/mine"
