"""The console's settings: where the services are, its signing key, sessions and lock-out."""

from __future__ import annotations

from backoffice_platform.settings import ServiceSettings


class ConsoleSettings(ServiceSettings):
    """Environment variables of the same names (upper case) override every default."""

    order_api_url: str = "http://127.0.0.1:8001"
    billing_api_url: str = "http://127.0.0.1:8002"
    ledger_api_url: str = "http://127.0.0.1:8003"
    support_api_url: str = "http://127.0.0.1:8004"
    # PEM Ed25519 private key the console signs user tokens with (`make run` makes one in .local/).
    console_private_key_file: str = ""
    user_token_minutes: int = 5
    company_time_zone: str = "Europe/Copenhagen"
    default_locale: str = "en_DK"
    session_hours: int = 8
    # Lock-out: this many failed logins in a row lock the account for the given minutes.
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    # Throttle: at most this many failed logins from one address per quarter of an hour.
    login_failures_per_address: int = 20
    service_timeout_seconds: float = 10.0
