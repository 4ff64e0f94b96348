"""The server each replica runs: the page script behind our own middleware (st.App).

streamlit_app.py stays the page script (and what the unit tests run through AppTest); this file
only adds what the server must do before Streamlit's routes answer.
"""
import streamlit as st
from starlette.middleware import Middleware

from analytics.drain import DrainingHealth
from analytics.media_guard import MediaGuard
from analytics.peers import WebsocketPeers

app = st.App(
    "streamlit_app.py", middleware=[Middleware(WebsocketPeers), Middleware(MediaGuard), Middleware(DrainingHealth)]
)
