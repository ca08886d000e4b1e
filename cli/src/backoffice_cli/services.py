"""The services of the system, by name (imported lazily so one broken service does not stop the CLI)."""

from __future__ import annotations

import importlib

from backoffice_platform.runtime import ServiceDefinition

SERVICE_MODULES = {
    "order": "order_service.service",
    "billing": "billing_service.service",
    "ledger": "ledger_service.service",
    "support": "support_service.service",
}
# The console (8005) is no API service: it is started beside them by `make run` (run.py).
PORTS = {"order": 8001, "billing": 8002, "ledger": 8003, "support": 8004, "console": 8005}


def definition(name: str) -> ServiceDefinition:
    module = importlib.import_module(SERVICE_MODULES[name])
    found: ServiceDefinition = module.DEFINITION
    return found


def available() -> list[str]:
    """Services whose definition can be imported."""
    names = []
    for name, module in SERVICE_MODULES.items():
        try:
            importlib.import_module(module)
        except ModuleNotFoundError:
            continue
        names.append(name)
    return names
