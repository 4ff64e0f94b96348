"""Download: the filtered rows as CSV, safe to open in a spreadsheet."""
import functools
import re

import streamlit as st

from analytics import aggregate, export, filters, ui

PREVIEW_ROWS = 20

info = ui.selected_dataset()
data = ui.load(info)
chosen = ui.filter_panel(info, data.profile)
frame = filters.apply(data.lazy(), chosen)
rows = aggregate.row_count(frame)
writable, left_out = export.exportable(data.frame.schema)

st.title("Download")
st.caption(ui.literal(f"{info.name} · {rows:,} of {data.profile.rows:,} rows · {filters.describe(chosen)}"))

picked = st.multiselect("Columns", writable, writable, **ui.kept(f"download:{info.id}:{info.version}:columns"))
if left_out:
    st.caption(ui.literal(f"Not in the CSV (lists, structures or binary data): {', '.join(left_out)}."))

if not picked:
    st.info("Pick at least one column.")
    st.stop()
if rows == 0:
    st.info("No rows match the filters. Widen them in the sidebar.")
    st.stop()

selection = frame.select(picked)
st.download_button(
    "Download CSV",
    # A callable is only run when the partner clicks, so a rerun never builds the file.
    data=functools.partial(export.to_csv, selection),
    file_name=(re.sub(r"[^A-Za-z0-9._-]+", "-", info.name).strip("-.") or "dataset") + ".csv",
    mime="text/csv",
    on_click="ignore",
    type="primary",
    icon=":material/download:",
)
st.caption(
    "Text cells that begin with =, +, - or @ get a leading apostrophe, so a spreadsheet shows "
    "them as text and never runs them as formulas."
)

st.subheader("Preview")
st.dataframe(selection.head(PREVIEW_ROWS).collect(), hide_index=True)
