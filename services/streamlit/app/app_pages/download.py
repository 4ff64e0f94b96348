"""Download: the filtered rows and chosen columns as CSV (UTF-8 or CP949) or an Excel workbook,
safe to open in a spreadsheet."""
import functools

import streamlit as st

from analytics import aggregate, audit, export, filters, i18n, media_guard, ui
from analytics.i18n import N_, _

PREVIEW_ROWS = 20
FORMAT_NAMES = {export.CSV: N_("CSV (UTF-8)"), export.CP949: N_("CSV (CP949)"), export.XLSX: N_("Excel (.xlsx)")}

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
        _("Not in the file (lists, structures or binary data): {columns}.").format(columns=", ".join(left_out))
    ))
form = st.segmented_control(
    _("File format"), export.FORMATS, format_func=i18n.formatter(lambda key: _(FORMAT_NAMES[key])),
    default=export.CSV, required=True,
    help=_("CSV in UTF-8 opens in Excel with Hangul intact; choose CP949 only for a program that reads nothing else."),
    **ui.kept("download:format"),
)

if not picked:
    st.info(_("Pick at least one column."))
    st.stop()
if rows == 0:
    st.info(_("No rows match the filters. Widen them in the sidebar."))
    st.stop()

selection = frame.select(picked)
refused = export.refusal(selection, form)
if refused is not None:
    st.warning(ui.literal(str(refused)))
else:
    st.download_button(
        _("Download Excel file") if form == export.XLSX else _("Download CSV"),
        # A callable is only run when the partner clicks, so a rerun never builds the file. The
        # file is registered as this partner's: no other partner can fetch it by its URL.
        data=media_guard.owned(
            who.partner,
            audit.exported(who, info.name, form, functools.partial(export.make, selection, form, info.name)),
            functools.partial(ui.still_signed_in, who),
        ),
        file_name=export.file_name(info.name, form),
        mime=export.MIME_TYPES[form],
        on_click="ignore",
        type="primary",
        icon=":material/download:",
    )
if form == export.XLSX:
    st.caption(_("In the Excel file numbers and dates are Excel's own, and text stays text: no cell runs as a formula."))
else:
    st.caption(_(
        "Text cells that a spreadsheet would run as a formula (beginning with =, +, -, @ or |, "
        "also after spaces) get a leading apostrophe, so it shows them as text."
    ))

st.subheader(_("Preview"))
ui.table(selection.head(PREVIEW_ROWS).collect())
