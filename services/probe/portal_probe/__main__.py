"""Entry point: `python -m portal_probe <command> <service>`."""

import sys

try:
    from portal_probe.cli import main
except ImportError as error:  # e.g. psutil missing from the image: still one line, no traceback
    sys.exit(f"fail: cannot start the probe: {error}")

sys.exit(main())
