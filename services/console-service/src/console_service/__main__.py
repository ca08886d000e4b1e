"""``python -m console_service api|migrate|all``."""

from backoffice_platform.runtime import main

from .service import DEFINITION

main(DEFINITION)
