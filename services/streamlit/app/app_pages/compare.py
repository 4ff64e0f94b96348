"""Compare: two datasets, or two segments or two periods of one, side by side on one metric."""
import streamlit as st

from analytics import aggregate, charts, compare, filters, profile, ui
from analytics import i18n
from analytics.i18n import N_, _

# Kept untranslated by the widgets (a choice survives a switch of language); shown with _().
DATASETS, SEGMENTS, PERIODS = N_("Two datasets"), N_("Two segments"), N_("Two periods")
TOTALS = N_("(totals only)")
OWN_DATES = N_("your own dates")


def unit_name(unit: str) -> str:
    return _(OWN_DATES) if unit == OWN_DATES else aggregate.bucket_name(unit)


portal = ui.current_portal()
info = ui.selected_dataset()
# The steps a date column can be set side by side in; None: those that fit its span.
date_steps = None


st.title(_("Compare"))
mode = st.segmented_control(
    _("Compare"), [DATASETS, SEGMENTS, PERIODS], default=SEGMENTS, required=True, format_func=i18n.formatter(_),
    **ui.kept("compare:mode"),
)

if mode == DATASETS:
    ids = [d.id for d in portal.catalog.datasets]
    if len(ids) < 2:
        st.info(_(
            "Comparing datasets needs two of them, and you have one. "
            "Compare two segments or two periods of it instead."
        ))
        st.stop()
    names = {d.id: d.name for d in portal.catalog.datasets}
    left, right = st.columns(2)
    a_id = left.selectbox(
        _("Baseline (A)"), ids, index=ids.index(info.id), format_func=names.get, **ui.kept("compare:dataset_a")
    )
    b_id = right.selectbox(
        _("Compared (B)"), [i for i in ids if i != a_id], format_func=names.get, **ui.kept("compare:dataset_b")
    )
    a_data = ui.load(portal.catalog.dataset(a_id))
    b_data = ui.load(portal.catalog.dataset(b_id))
    side_a = compare.Side(names[a_id], a_data.lazy())
    side_b = compare.Side(names[b_id], b_data.lazy())
    columns = profile.shared(a_data.profile, b_data.profile)
    align_dates = columns.ranged(profile.DATE)
    align_categories = columns.names(profile.CATEGORY)

elif mode == SEGMENTS:
    data = ui.load(info)
    columns = data.profile
    segmentable = [c.name for c in columns.columns if c.kind == profile.CATEGORY and c.distinct >= 2]
    if not segmentable:
        st.info(_(
            "Segments are groups of rows sharing a category, and this dataset has no category "
            "column with two or more values."
        ))
        st.stop()
    column = st.selectbox(_("Segments by"), segmentable, **ui.kept("compare:segment_column"))
    values = columns.column(column).values
    left, right = st.columns(2)
    a_values = left.multiselect(_("Baseline (A) is"), values, values[:1], **ui.kept(f"compare:segment_a:{column}"))
    b_values = right.multiselect(_("Compared (B) is"), values, values[1:2], **ui.kept(f"compare:segment_b:{column}"))
    if not a_values or not b_values:
        st.info(_("Pick at least one value for each segment."))
        st.stop()
    side_a, side_b = (
        compare.Side(
            compare.segment_label(column, chosen),
            filters.apply(data.lazy(), [filters.OneOf(column, tuple(chosen))]),
        )
        for chosen in (a_values, b_values)
    )
    align_dates = columns.ranged(profile.DATE)
    align_categories = [name for name in columns.names(profile.CATEGORY) if name != column]

else:
    data = ui.load(info)
    columns = data.profile
    dates = columns.ranged(profile.DATE)
    if not dates:
        st.info(_(
            "Periods are ranges of a date column, and this dataset has no date column with two "
            "or more dates."
        ))
        st.stop()
    column = st.selectbox(_("Periods of"), dates, **ui.kept("compare:period_column"))
    low, high = ui.day(columns.column(column).low), ui.day(columns.column(column).high)
    # The baseline's quick choices read as words ("the same month a year earlier"): room for them.
    unit_column, a_column, b_column = st.columns([2, 3, 2])
    unit = unit_column.selectbox(
        _("Period"), [*compare.PERIOD_UNITS, OWN_DATES], index=compare.PERIOD_UNITS.index("month"),
        format_func=i18n.formatter(unit_name), **ui.kept("compare:period_unit"),
    )
    if unit == OWN_DATES:
        first_half, second_half = compare.halves(low, high)
        a_range = a_column.date_input(
            _("Baseline (A) from … to"), first_half, low, high, format=ui.date_input_format(), **ui.kept(f"compare:period_a:{column}")
        )
        b_range = b_column.date_input(
            _("Compared (B) from … to"), second_half, low, high, format=ui.date_input_format(), **ui.kept(f"compare:period_b:{column}")
        )
        if len(a_range) < 2 or len(b_range) < 2:
            st.info(_("Pick a first and a last day for each period."))
            st.stop()
        periods = [(compare.period_label(start, end), start, end) for start, end in (a_range, b_range)]
    else:
        against = a_column.segmented_control(
            _("Baseline (A)"), compare.baselines(unit), default=compare.PREVIOUS, required=True,
            format_func=i18n.formatter(lambda name: _(compare.BASELINE_NAMES[name]).format(unit=aggregate.bucket_name(unit))),
            **ui.kept("compare:period_against"),
        )
        # Only whole periods with a whole baseline: a partial one would differ for want of days.
        choices = compare.comparable_periods(low, high, unit, against)
        if not choices:
            st.info(ui.literal(compare.no_whole_periods(low, high, unit, against)))
            st.stop()
        chosen_start = b_column.selectbox(
            _("Compared (B)"), choices, format_func=i18n.formatter(lambda start: aggregate.period_name(start, unit)),
            **ui.kept(f"compare:period:{column}:{unit}"),
        )
        periods = [
            (aggregate.period_name(start, unit), start, aggregate.period_end(start, unit))
            for start in (compare.baseline_start(chosen_start, unit, against), chosen_start)
        ]
        date_steps = compare.steps_within(unit)
    side_a, side_b = (
        compare.Side(label, filters.apply(data.lazy(), [filters.DateRange(column, start, end)]), start=start, end=end)
        for label, start, end in periods
    )
    # Periods line up by position within each (week 1, week 2, ...) on their own date column.
    align_dates = [column]
    align_categories = columns.names(profile.CATEGORY)

numbers = columns.ranged(profile.NUMBER)
metric_column, value_column, align_column, bucket_column = st.columns(4)
# Sum, mean and median need a numeric column: without one only count is offered.
agg = metric_column.selectbox(
    _("Metric"), aggregate.AGGREGATIONS if numbers else ("count",), format_func=i18n.formatter(aggregate.aggregation_name),
    **ui.kept("compare:agg"),
)
value = None if agg == "count" else value_column.selectbox(_("Of"), numbers, **ui.kept("compare:value"))
align_on = align_column.selectbox(
    _("Side by side per"), [TOTALS, *align_dates, *align_categories],
    format_func=i18n.formatter(lambda name: _(TOTALS) if name == TOTALS else name), **ui.kept("compare:align"),
)
if align_on in align_dates:
    steps = date_steps or aggregate.fitting_buckets(columns.column(align_on).low, columns.column(align_on).high)
    index = steps.index("month") if "month" in steps else 0
    bucket = bucket_column.selectbox(
        _("Step"), steps, index=index, format_func=i18n.formatter(aggregate.bucket_name), **ui.kept("compare:bucket")
    )
    alignment = compare.Alignment(align_on, bucket)
else:
    alignment = compare.Alignment(None if align_on == TOTALS else align_on)

result = compare.compare(side_a, side_b, agg, value, alignment)
name_a, name_b = result.names

st.success(ui.literal(result.sentence()))
a_metric, b_metric, change = st.columns(3)
a_metric.metric(ui.literal(name_a), compare.fmt(result.total_a))
b_metric.metric(ui.literal(name_b), compare.fmt(result.total_b))
change.metric(_("Change from A to B"), compare.fmt(result.delta), **compare.metric_delta(result.total_a, result.total_b))

if result.table.is_empty():
    ui.chart(charts.totals(name_a, name_b, result.total_a, result.total_b, result.metric))
else:
    ui.chart(charts.overlay(result.table, name_a, name_b, result.key_title, result.metric))
    if result.cut_steps:
        st.caption(_(
            "A period's first or last {step} holds only the days inside the period, so it may be short."
        ).format(step=aggregate.bucket_name(result.position_unit)))
    ui.table(compare.display_table(result), {"delta": _("delta"), "delta %": _("delta %")})
