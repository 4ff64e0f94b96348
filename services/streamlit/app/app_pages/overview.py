"""Overview: what the selected dataset holds."""
import streamlit as st

from analytics import formats, ui
from analytics.i18n import N_, _

# Each table's headers as the partner reads them.
HEADERS = {
    "column": N_("column"), "type": N_("type"), "kind": N_("kind"), "missing": N_("missing"),
    "missing %": N_("missing %"), "distinct": N_("distinct"), "earliest": N_("earliest"),
    "latest": N_("latest"), "most common": N_("most common"), "its rows": N_("its rows"),
    "mean": N_("mean"), "std": N_("std"), "min": N_("min"), "25%": N_("25%"), "median": N_("median"),
    "75%": N_("75%"), "max": N_("max"),
}
KINDS = {"number": N_("number"), "date": N_("date"), "category": N_("category"), "text": N_("text"), "other": N_("other")}

info = ui.selected_dataset()
data = ui.load(info)
columns = data.profile

st.title(ui.literal(info.name))
if info.description:
    st.markdown(ui.literal(info.description))
ui.dataset_caption(info, data)

rows, width, missing = st.columns(3)
rows.metric(_("Rows"), formats.number(columns.rows))
width.metric(_("Columns"), formats.number(len(columns.columns)))
missing.metric(_("Missing values"), formats.number(sum(c.missing for c in columns.columns)))
headers = {name: _(header) for name, header in HEADERS.items()}

st.subheader(_("Columns"))
table = columns.columns_table()
table = table.with_columns(table["kind"].replace_strict({k: _(v) for k, v in KINDS.items()}, default=table["kind"]))
ui.table(
    table,
    headers,
    column_config={"missing %": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.1f%%")},
)

st.subheader(_("Summary statistics"))
summaries = {
    _("Numbers"): (columns.numbers, _("This dataset has no numeric columns.")),
    _("Dates"): (columns.dates_table(), _("This dataset has no date columns.")),
    _("Categories and text"): (columns.categories_table(), _("This dataset has no text or category columns.")),
}
for tab, (summary, empty) in zip(st.tabs(list(summaries)), summaries.values()):
    if summary.is_empty():
        tab.caption(empty)
    else:
        with tab:
            ui.table(summary, headers)

st.subheader(_("Sample"))
st.caption(_("{n} rows picked at random.").format(n=formats.number(columns.sample.height)))
ui.table(columns.sample)
