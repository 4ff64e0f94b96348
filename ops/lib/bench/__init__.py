"""ops/bench: what the bundle is for, measured on the machine it runs on.

Modules, one scenario or concern each:
- plan: how much load each scenario applies (the full run and the smoke run)
- project: the bench's own compose project, its addresses, extra containers, memory and CPU
- load: HTTP load with locust, in a process of its own
- portal (1-3), gate (4), sessions (5), startup (6), analytics (7), routing: the scenarios
- machine: the machine line
- stats: percentiles, crossings, ratios, fits
- report, charts: docs/benchmarks.md and its PNG charts, from one run's results
- cli: the order of it all
"""
