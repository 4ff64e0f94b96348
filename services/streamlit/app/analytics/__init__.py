"""Partner analytics: everything the Streamlit pages compute, in plain functions.

Modules, one concern each:
- settings: the environment, read and checked in one place
- identity: who is asking, from the headers nginx sets
- portal_api: the partner's datasets, from Django's internal API
- datasets: safe paths and the shared, per-version cache of loaded data
- profile: what a dataset holds (column kinds, bounds, overview statistics)
- filters, aggregate, compare: the arithmetic behind the pages
- charts: Altair charts drawn from aggregated frames
- export: CSV with formula cells defused
- ui: the Streamlit pieces the pages share
- warmup, serve: process start
- cores: the one core a replica runs on, and its moves to a less busy one
"""
