"""Overview: what the selected dataset holds."""
import streamlit as st

from analytics import ui

info = ui.selected_dataset()
data = ui.load(info)
columns = data.profile

st.title(ui.literal(info.name))
if info.description:
    st.markdown(ui.literal(info.description))
ui.dataset_caption(info, data)

rows, width, missing = st.columns(3)
rows.metric("Rows", f"{columns.rows:,}")
width.metric("Columns", f"{len(columns.columns):,}")
missing.metric("Missing values", f"{sum(c.missing for c in columns.columns):,}")

st.subheader("Columns")
st.dataframe(
    columns.columns_table(),
    hide_index=True,
    column_config={"missing %": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.1f %%")},
)

st.subheader("Summary statistics")
summaries = {
    "Numbers": (columns.numbers, "numeric"),
    "Dates": (columns.dates_table(), "date"),
    "Categories and text": (columns.categories_table(), "text or category"),
}
for tab, (summary, kind) in zip(st.tabs(list(summaries)), summaries.values()):
    if summary.is_empty():
        tab.caption(f"This dataset has no {kind} columns.")
    else:
        tab.dataframe(summary, hide_index=True)

st.subheader("Sample")
st.caption(f"{columns.sample.height} rows picked at random.")
st.dataframe(columns.sample, hide_index=True)
