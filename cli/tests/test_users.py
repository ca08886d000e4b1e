"""``backoffice users add|list|disable`` against a real console database."""

import asyncio

import pytest
from typer.testing import CliRunner

from backoffice_cli.main import app

pytestmark = pytest.mark.integration


async def _cli(*args: str, code: int = 0) -> str:
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


async def test_users_are_added_listed_and_disabled(monkeypatch, databases) -> None:
    url = await databases.create("t_console_cli", [])
    monkeypatch.setenv("CONSOLE_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setenv("CONSOLE_USER_PASSWORD", "correct horse battery staple")
    added = await _cli("users", "add", "Olga@Example.com", "--name", "Olga Order", "--role", "order_clerk")
    assert "added olga@example.com" in added
    await _cli("users", "add", "olga@example.com", "--name", "Olga again", "--role", "order_clerk", code=1)
    monkeypatch.setenv("CONSOLE_USER_PASSWORD", "short")
    refused = await _cli("users", "add", "pia@example.com", "--name", "Pia", "--role", "approver", code=1)
    assert "password" in refused
    listed = await _cli("users", "list")
    assert "olga@example.com" in listed and "order_clerk" in listed and "active" in listed
    assert "pia@example.com" not in listed
    assert "disabled olga@example.com" in await _cli("users", "disable", "olga@example.com")
    assert "disabled" in await _cli("users", "list")
    await _cli("users", "disable", "nobody@example.com", code=1)
