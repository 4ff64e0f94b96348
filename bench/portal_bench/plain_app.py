"""The plain page's server: plain_explore.py behind the same kind of server the app's replicas
run (st.App, see services/streamlit/app/asgi_app.py), without the app's middleware, so the
anchor differs from the app in its page alone."""
from pathlib import Path

import streamlit as st

app = st.App(str(Path(__file__).with_name("plain_explore.py")))
