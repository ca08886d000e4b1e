"""Benchmarks of the Backoffice platform: ``python -m bench.run`` (or ``make bench``).

Every benchmark creates its own database and topics, runs its baselines in the same run
(so ratios hold on a noisy machine), cleans up, and returns a ``BenchResult``.
``bench.run`` merges the results into ``docs/benchmarks.json`` and renders
``docs/benchmarks.md``. See ``bench/README.md`` for how to add a benchmark.
"""
