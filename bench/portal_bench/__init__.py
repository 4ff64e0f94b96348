"""ops/bench: what the bundle is for, measured on the machine it runs on.

Modules, one scenario or concern each:
- plan: how much load each scenario applies (the full run and the smoke run)
- project: the bench's own compose project, its addresses, extra containers, memory and CPU
- load: HTTP load with locust, in a process of its own
- portal, gate, sessions, startup, analytics, routing, uploads, autoscaling: the scenarios, in
  the order of the report's sections (portal 1-3, then one section each)
- analytics_timing: the script the analytics benchmark runs inside a streamlit replica, and the
  generated dataset every benchmark uses
- machine: the machine line
- stats: percentiles, crossings, ratios, fits
- document, plots: docs/benchmarks.md (document.md filled with one run's figures) and its PNG charts
- cli: the order of it all
"""
