"""Download: the filtered rows as CSV, safe to open in a spreadsheet."""
import functools
import re

import streamlit as st

from analytics import aggregate, export, filters, media_guard, ui
from analytics.i18n import _

PREVIEW_ROWS = 20

who = ui.current_portal().who
info = ui.selected_dataset()
data = ui.load(info)
chosen = ui.filter_panel(info, data.profile)
frame = filters.apply(data.lazy(), chosen)
rows = aggregate.row_count(frame)
writable, left_out = export.exportable(data.frame.schema)

st.title(_("Download"))
ui.rows_caption(info, rows, data.profile.rows, chosen)

picked = st.multiselect(_("Columns"), writable, writable, **ui.kept(ui.dataset_key("download", info) + ":columns"))
if left_out:
    st.caption(ui.literal(
        _("Not in the CSV (lists, structures or binary data): {columns}.").format(columns=", ".join(left_out))
    ))

if not picked:
    st.info(_("Pick at least one column."))
    st.stop()
if rows == 0:
    st.info(_("No rows match the filters. Widen them in the sidebar."))
    st.stop()

selection = frame.select(picked)
st.download_button(
    _("Download CSV"),
    # A callable is only run when the partner clicks, so a rerun never builds the file. The
    # file is registered as this partner's: no other partner can fetch it by its URL.
    data=media_guard.owned(
        who.partner, functools.partial(export.to_csv, selection), functools.partial(ui.still_signed_in, who)
    ),
    file_name=(re.sub(r"[^A-Za-z0-9._-]+", "-", info.name).strip("-.") or "dataset") + ".csv",
    mime="text/csv",
    on_click="ignore",
    type="primary",
    icon=":material/download:",
)
st.caption(_(
    "Text cells that a spreadsheet would run as a formula (beginning with =, +, -, @ or |, "
    "also after spaces) get a leading apostrophe, so it shows them as text."
))

st.subheader(_("Preview"))
ui.table(selection.head(PREVIEW_ROWS).collect())
