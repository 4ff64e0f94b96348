"""The container's command: check the settings, warm this process, then run Streamlit's own
command line in it. It takes exactly the arguments of `streamlit`:

    python3 -m analytics.serve run asgi_app.py --server.baseUrlPath=app ...

`streamlit run` executes the page script only when a browser session starts, so imports made
there would fall on the first partner's page. The server runs every session's script in a thread
of this one process, so whatever is imported and warmed here, before the server listens, is
ready for every session; the health check only answers once that is done.
"""
from __future__ import annotations

import sys

from streamlit.web import cli

from analytics import computing, cores, settings


def main() -> None:
    try:
        settings.get()
    except settings.SettingsError as error:
        sys.exit(f"analytics: {error}")
    from analytics import warmup

    warmup.warm()
    computing.lower_engine_priority()
    cores.keep_balanced()
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main()
