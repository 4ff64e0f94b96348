"""Explore: one chart of the filtered rows, drawn from an aggregate, never from the raw rows."""
import streamlit as st

from analytics import aggregate, charts, filters, profile, ui

NONE = "(none)"

info = ui.selected_dataset()
data = ui.load(info)
columns = data.profile
chosen = ui.filter_panel(info, columns)
frame = filters.apply(data.lazy(), chosen)
rows = aggregate.row_count(frame)
prefix = f"explore:{info.id}:{info.version}"

numbers = columns.ranged(profile.NUMBER)
# Sum, mean and median need a numeric column: without one only count is offered.
aggregations = aggregate.AGGREGATIONS if numbers else ("count",)
# A legend of more than a dozen colours cannot be read.
few_values = [c.name for c in columns.columns if c.kind == profile.CATEGORY and c.distinct <= 12]

st.title("Explore")
st.caption(ui.literal(f"{info.name} · {rows:,} of {columns.rows:,} rows · {filters.describe(chosen)}"))

fitting = [kind for kind in charts.KINDS if charts.unfit_reason(kind, columns) is None]
kind = st.segmented_control(
    "Chart", charts.KINDS, default=(fitting or [charts.BAR])[0], required=True, **ui.kept(f"{prefix}:kind")
)
reason = charts.unfit_reason(kind, columns)
if reason is not None:
    st.info(ui.literal(reason))
    st.stop()
if rows == 0:
    st.info("No rows match the filters. Widen them in the sidebar.")
    st.stop()


def metric_pickers(agg_column, value_column) -> tuple[str, str | None]:
    agg = agg_column.selectbox("Aggregate", aggregations, **ui.kept(f"{prefix}:agg"))
    value = None if agg == "count" else value_column.selectbox("Of", numbers, **ui.kept(f"{prefix}:value"))
    return agg, value


if kind == charts.LINE:
    date_column, agg_column, value_column, step_column, split_column = st.columns(5)
    date = date_column.selectbox("Date", columns.ranged(profile.DATE), **ui.kept(f"{prefix}:date"))
    agg, value = metric_pickers(agg_column, value_column)
    low, high = columns.column(date).low, columns.column(date).high
    steps = aggregate.fitting_buckets(low, high)
    default_step = aggregate.default_bucket(low, high)
    step = step_column.selectbox(
        "Per", steps, index=steps.index(default_step) if default_step in steps else 0,
        **ui.kept(f"{prefix}:bucket"),
    )
    split = split_column.selectbox("Split by", [NONE, *few_values], **ui.kept(f"{prefix}:split"))
    split = None if split == NONE else split
    series = aggregate.over_time(frame, date, step, agg, value, split)
    if series.is_empty():
        st.info(ui.literal(f"None of the filtered rows has a value in {date}."))
    else:
        st.altair_chart(charts.line(series, date, aggregate.metric_label(agg, value), split))
        st.caption(ui.literal(f"{series.height:,} points: {aggregate.metric_label(agg, value)} per {step}."))

elif kind == charts.BAR:
    category_column, agg_column, value_column = st.columns(3)
    category = category_column.selectbox(
        "Category", columns.names(profile.CATEGORY), **ui.kept(f"{prefix}:category")
    )
    agg, value = metric_pickers(agg_column, value_column)
    bars = aggregate.by_category(frame, category, agg, value)
    st.altair_chart(charts.bars(bars.frame, category, aggregate.metric_label(agg, value)))
    if bars.groups > bars.frame.height:
        st.caption(f"The {bars.frame.height} largest of {bars.groups:,} categories.")

elif kind == charts.HISTOGRAM:
    column = st.selectbox("Column", numbers, **ui.kept(f"{prefix}:histogram"))
    bins = aggregate.histogram(frame, column)
    if bins.is_empty():
        st.info(ui.literal(f"None of the filtered rows has a value in {column}."))
    else:
        st.altair_chart(charts.histogram(bins, column))
        st.caption(f"{int(bins['count'].sum()):,} values in {bins.height} bins of equal width.")

else:
    x_column, y_column, color_column = st.columns(3)
    x = x_column.selectbox("Horizontal", numbers, **ui.kept(f"{prefix}:x"))
    y = y_column.selectbox("Vertical", [n for n in numbers if n != x], **ui.kept(f"{prefix}:y"))
    color = color_column.selectbox("Colour by", [NONE, *few_values], **ui.kept(f"{prefix}:color"))
    color = None if color == NONE else color
    points = aggregate.scatter(frame, x, y, color)
    if points.total == 0:
        st.info(ui.literal(f"None of the filtered rows has values in both {x} and {y}."))
    else:
        st.altair_chart(charts.scatter(points.frame, x, y, color))
        if points.total > points.frame.height:
            st.caption(f"{points.frame.height:,} of {points.total:,} points, picked at random.")
