"""Explore through nginx as a partner's browser tab sees it: a chart choice reruns the chart only."""
import json

from streamlit.util import calc_hash

from support.fresh import new_partner
from support.streamlit_session import StreamlitSession, widget
from support.uploads import upload


def sales_csv():
    days = "".join(f"2024-01-{day:02d},{'north' if day % 2 else 'south'},{day}\n" for day in range(1, 29))
    return ("day,region,units\n" + days).encode()


def test_a_chart_choice_redraws_the_chart_without_rerunning_the_page_above_it(stack):
    partner = new_partner(stack, "fragments")
    assert upload(partner.session, stack.url, sales_csv(), name="Sales").status_code == 302
    tab = StreamlitSession(stack.url, cookies=partner.cookies)
    try:
        tab.page_script_hash = calc_hash("explore")
        tab.rerun()
        assert "Explore" in tab.texts()
        (aggregate,) = [e.selectbox for e in tab.elements
                        if e.WhichOneof("type") == "selectbox" and e.selectbox.label == "Aggregate"]
        fragment = tab.fragment_of(aggregate.id)
        assert fragment, "the chart's choices are drawn by a fragment"
        _, drawn = tab.rerun([widget(aggregate.id, string_value="mean")], fragment)
    finally:
        tab.close()
    charts = [json.loads(e.vega_lite_chart.spec) for e in drawn if e.WhichOneof("type") == "vega_lite_chart"]
    assert len(charts) == 1 and "average units" in json.dumps(charts[0])
    # Nothing above the chart was sent again: not the title, the rows caption or the sidebar.
    assert "Explore" not in tab.texts()
    assert not [e for e in drawn if e.WhichOneof("type") == "selectbox" and e.selectbox.label == "Dataset"]
