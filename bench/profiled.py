"""Run a service module under pyinstrument until SIGTERM; write the profile as HTML and text.

python -m bench.profiled OUT.html order_service api --port 8001
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from pyinstrument import Profiler


def main() -> None:
    out, module, *rest = sys.argv[1:]
    sys.argv = [module, *rest]
    profiler = Profiler(interval=0.001, async_mode="disabled")
    profiler.start()
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        profiler.stop()
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(profiler.output_html())
        path.with_suffix(".txt").write_text(profiler.output_text(unicode=False, color=False))


if __name__ == "__main__":
    main()
