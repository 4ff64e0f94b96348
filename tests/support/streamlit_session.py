"""A Streamlit browser session without a browser: shared with ops/bench, in ops/lib/portal_stack."""
from portal_stack.streamlit_session import StreamlitSession, widget  # noqa: F401
