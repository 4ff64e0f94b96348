"""ops/bench: what the bundle is for, measured on the machine it runs on.

Modules, one scenario or concern each:
- plan: how much load each scenario applies (the full run and the smoke run)
- project: the bench's own compose project, its addresses, extra containers, memory and CPU
- load: HTTP load with locust, in a process of its own
- portal (the report's sections 1-3), gate (4), sessions (5), startup (6), analytics (7), routing, uploads (8),
  autoscaling (9): the scenarios
- analytics_timing: the script the analytics benchmark runs inside a streamlit replica, and the
  generated dataset every benchmark uses
- machine: the machine line
- stats: percentiles, crossings, ratios, fits
- document, plots: docs/benchmarks.md (document.md filled with one run's figures) and its PNG charts
- cli: the order of it all
"""
