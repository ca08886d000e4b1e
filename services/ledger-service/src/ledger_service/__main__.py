"""``python -m ledger_service api|worker|migrate|all``."""

from backoffice_platform.runtime import main

from .service import DEFINITION

main(DEFINITION)
