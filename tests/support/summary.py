"""Figures the stack tests report at the end of a pytest run: requests sent and lost per fault,
bad inputs tried. They are printed in the run's summary, not only in captured output, so that
a run's log holds them whether the tests passed or not.
"""
from collections import Counter

PLUGIN_NAME = "portal-test-summary"


class _Summary:
    def __init__(self):
        self.lines = {}
        self.counts = {}

    def pytest_terminal_summary(self, terminalreporter):
        for title, lines in self.lines.items():
            terminalreporter.write_sep("-", title)
            for line in lines:
                terminalreporter.write_line(line)
        for title, counts in self.counts.items():
            terminalreporter.write_sep("-", title)
            parts = ", ".join(f"{kind} {number}" for kind, number in sorted(counts.items()))
            terminalreporter.write_line(f"{title}: {sum(counts.values())} ({parts})")


def _summary(config):
    plugin = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if plugin is None:
        plugin = _Summary()
        config.pluginmanager.register(plugin, PLUGIN_NAME)
    return plugin


def note(config, title, line):
    """One line under `title` in the run's summary (and in the test's own output)."""
    print(line)
    _summary(config).lines.setdefault(title, []).append(line)


def count(config, title, kind, number):
    """Adds `number` to the `kind` row of the tally `title`, e.g. ("bad inputs tried", "host", 4)."""
    print(f"{title}: {number} ({kind})")
    _summary(config).counts.setdefault(title, Counter())[kind] += number
