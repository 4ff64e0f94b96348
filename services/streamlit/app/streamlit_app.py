"""Partner analytics: the script `streamlit run` starts, run on every rerun of every page.

It learns who is asking and checks that their sign-in still holds (nothing below the gate runs
otherwise), then, in one of the partner's turns on this replica, draws the sidebar and hands
over to the page the partner picked. While the tab
sits idle, a fragment keeps checking the sign-in, and another tells the partner when this
replica is about to be retired.
"""
import streamlit as st

from analytics import drain, ui
from analytics.i18n import _

# The page's title is set by ui once the portal has said which language the partner reads.
st.set_page_config(page_icon="📊", layout="wide")

portal = ui.open_portal()

# The pages live in app_pages/, not pages/: Streamlit treats a pages/ folder as its older
# multipage mechanism, which st.navigation replaces.
page = st.navigation(
    [
        st.Page("app_pages/overview.py", title=_("Overview"), icon=":material/table_view:", default=True),
        st.Page("app_pages/explore.py", title=_("Explore"), icon=":material/bar_chart:"),
        st.Page("app_pages/compare.py", title=_("Compare"), icon=":material/compare_arrows:"),
        st.Page("app_pages/download.py", title=_("Download"), icon=":material/download:"),
    ]
)
# A partner's page runs on this replica take turns (see analytics.computing): one partner's many
# busy tabs cannot crowd out the others'.
with ui.turn():
    ui.sidebar(portal)
    ui.watch_session()
    drain.notice()
    page.run()
