"""A composed project of this bundle, driven from the host in Python: what the stack tests and
ops/bench share, so that neither imports the other.

- stack: the project's settings, its containers, docker compose and the ops scripts on it
- logins: what a partner does in the portal (an account, a login)
- streamlit_session: a Streamlit browser session without a browser
"""
