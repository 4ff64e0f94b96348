"""Health checks and load reports for the portal's containers, run as `python -m portal_probe`."""
