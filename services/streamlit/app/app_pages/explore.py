"""Explore: one chart of the filtered rows, drawn from an aggregate, never from the raw rows.

The chart and its choices are a fragment: changing one reruns only that part of the page, not
the gate, the sidebar and the filters above it. Aggregates come from the results the replica's
sessions share (ui.Shared), and so do the charts drawn from them."""
import streamlit as st

from analytics import aggregate, charts, compare, filters, formats, profile, ui
from analytics import i18n
from analytics.i18n import _

NONE = "(none)"


def none_or(name: str) -> str:
    return _("(none)") if name == NONE else name

info = ui.selected_dataset()
data = ui.load(info)
columns = data.profile
chosen = ui.filter_panel(info, columns)
frame = filters.apply(data.lazy(), chosen)
compute = ui.Shared(info, chosen)
rows = compute(aggregate.row_count, frame)
prefix = ui.dataset_key("explore", info)

numbers = columns.ranged(profile.NUMBER)
# Sum, mean and median need a numeric column: without one only count is offered.
aggregations = aggregate.AGGREGATIONS if numbers else ("count",)
# A legend of more than a dozen colours cannot be read.
few_values = [c.name for c in columns.columns if c.kind == profile.CATEGORY and c.distinct <= 12]

st.title(_("Explore"))
ui.rows_caption(info, rows, columns.rows, chosen)


def metric_pickers(agg_column, value_column) -> tuple[str, str | None]:
    agg = agg_column.selectbox(
        _("Aggregate"), aggregations, format_func=i18n.formatter(aggregate.aggregation_name), **ui.kept(f"{prefix}:agg")
    )
    value = None if agg == "count" else value_column.selectbox(_("Of"), numbers, **ui.kept(f"{prefix}:value"))
    return agg, value


@st.fragment
def chart_section() -> None:
    ui.recheck_sign_in()
    # A rerun of this fragment alone takes a turn of its own; within the page's run it has one.
    with ui.turn():
        chart_choices()


def chart_choices() -> None:
    fitting = [kind for kind in charts.KINDS if charts.unfit_reason(kind, columns) is None]
    kind = st.segmented_control(
        _("Chart"), charts.KINDS, format_func=i18n.formatter(_), default=(fitting or [charts.BAR])[0], required=True, **ui.kept(f"{prefix}:kind")
    )
    reason = charts.unfit_reason(kind, columns)
    if reason is not None:
        st.info(ui.literal(reason))
        return
    if rows == 0:
        st.info(_("No rows match the filters. Widen them in the sidebar."))
        return

    if kind == charts.LINE:
        date_column, agg_column, value_column, step_column, split_column = st.columns(5)
        date = date_column.selectbox(_("Date"), columns.ranged(profile.DATE), **ui.kept(f"{prefix}:date"))
        agg, value = metric_pickers(agg_column, value_column)
        low, high = columns.column(date).low, columns.column(date).high
        steps = aggregate.fitting_buckets(low, high)
        default_step = aggregate.default_bucket(low, high)
        step = step_column.selectbox(
            _("Per"), steps, format_func=i18n.formatter(aggregate.bucket_name), index=steps.index(default_step) if default_step in steps else 0,
            **ui.kept(f"{prefix}:bucket"),
        )
        split = split_column.selectbox(_("Split by"), [NONE, *few_values], format_func=i18n.formatter(none_or), **ui.kept(f"{prefix}:split"))
        split = None if split == NONE else split
        # The days the data can have: a first or last period they fill only partly is marked.
        span = aggregate.covered(low, high, chosen, date)
        series = compute(aggregate.over_time, frame, date, step, agg, value, split, span)
        if series.is_empty():
            st.info(ui.literal(_("None of the filtered rows has a value in {column}.").format(column=date)))
        else:
            compute.chart(lambda: charts.line(series, date, aggregate.metric_label(agg, value), split),
                          charts.LINE, date, step, agg, value, split, span)
            st.caption(ui.literal(_("{n} points: {metric} per {step}.").format(
                n=formats.number(series.height), metric=aggregate.metric_label(agg, value), step=aggregate.bucket_name(step),
            )))
            trend = None if split else aggregate.trend(series, step, agg, span)
            note = aggregate.partial_note(series, step, span, left_out=trend is not None)
            if note is not None:
                st.caption(ui.literal(note))
            if trend is not None:
                average_column, last_column = st.columns(2)
                average_column.metric(
                    ui.literal(_("Average per {step}").format(step=aggregate.bucket_name(step))), compare.fmt(trend.average)
                )
                change = compare.metric_delta(trend.previous_value, trend.last_value) if trend.previous else {}
                if change:
                    change["delta_description"] = _("against the {step} before").format(step=aggregate.bucket_name(step))
                last_column.metric(
                    ui.literal(_("Last complete {step}: {period}").format(
                        step=aggregate.bucket_name(step), period=aggregate.period_name(trend.last, step)
                    )),
                    compare.fmt(trend.last_value),
                    **change,
                )

    elif kind == charts.BAR:
        category_column, agg_column, value_column = st.columns(3)
        category = category_column.selectbox(
            _("Category"), columns.names(profile.CATEGORY), **ui.kept(f"{prefix}:category")
        )
        agg, value = metric_pickers(agg_column, value_column)
        bars = compute(aggregate.by_category, frame, category, agg, value)
        compute.chart(lambda: charts.bars(bars.frame, category, aggregate.metric_label(agg, value)), charts.BAR, category, agg, value)
        if bars.groups > bars.frame.height:
            st.caption(_("The {n} largest of {total} categories.").format(
                n=formats.number(bars.frame.height), total=formats.number(bars.groups)
            ))

    elif kind == charts.HISTOGRAM:
        column = st.selectbox(_("Column"), numbers, **ui.kept(f"{prefix}:histogram"))
        bins = compute(aggregate.histogram, frame, column)
        if bins.is_empty():
            st.info(ui.literal(_("None of the filtered rows has a value in {column}.").format(column=column)))
        else:
            compute.chart(lambda: charts.histogram(bins, column), charts.HISTOGRAM, column)
            st.caption(_("{n} values in {bins} bins of equal width.").format(
                n=formats.number(int(bins["count"].sum())), bins=formats.number(bins.height)
            ))

    else:
        x_column, y_column, color_column = st.columns(3)
        x = x_column.selectbox(_("Horizontal"), numbers, **ui.kept(f"{prefix}:x"))
        y = y_column.selectbox(_("Vertical"), [n for n in numbers if n != x], **ui.kept(f"{prefix}:y"))
        color = color_column.selectbox(_("Colour by"), [NONE, *few_values], format_func=i18n.formatter(none_or), **ui.kept(f"{prefix}:color"))
        color = None if color == NONE else color
        points = compute(aggregate.scatter, frame, x, y, color)
        if points.total == 0:
            st.info(ui.literal(_("None of the filtered rows has values in both {x} and {y}.").format(x=x, y=y)))
        else:
            compute.chart(lambda: charts.scatter(points.frame, x, y, color), charts.SCATTER, x, y, color)
            if points.total > points.frame.height:
                st.caption(_("{n} of {total} points, picked at random.").format(
                    n=formats.number(points.frame.height), total=formats.number(points.total)
                ))


chart_section()
