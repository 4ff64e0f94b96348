"""The anchor of the sessions benchmark: the Explore page written the plain way Streamlit's
documentation shows it, on the same data as the app's page, in a replica of the same image and
limits. pandas read once under st.cache_data; every rerun filters and groups the cached frame
and draws the chart from the grouped points; the whole script reruns on every change.

Run by the sessions benchmark as `streamlit run plain_explore.py` in an extra streamlit
container; PLAIN_DATASET names the Parquet file. Not part of the product.
"""
import os

import altair as alt
import pandas as pd
import streamlit as st

AGGREGATIONS = ("sum", "mean", "count", "median")


@st.cache_data
def load_data(path: str) -> pd.DataFrame:
    data = pd.read_parquet(path)
    data["date"] = pd.to_datetime(data["date"])
    return data


st.set_page_config(page_title="Explore", layout="wide")
data = load_data(os.environ["PLAIN_DATASET"])
numbers = [name for name in data.columns if pd.api.types.is_numeric_dtype(data[name])]
categories = [name for name in data.columns if data[name].dtype == object or isinstance(data[name].dtype, pd.StringDtype)]

with st.sidebar:
    st.subheader("Filters")
    low, high = data["date"].min().date(), data["date"].max().date()
    start, end = st.date_input("Between", (low, high), low, high)
    region = st.multiselect("Is one of", sorted(data["region"].unique()), placeholder="any value")

filtered = data[data["date"].between(pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1), inclusive="left")]
if region:
    filtered = filtered[filtered["region"].isin(region)]

st.title("Explore")
st.caption(f"{len(filtered):,} of {len(data):,} rows")
kind = st.segmented_control("Chart", ["line", "bar"], default="line", required=True)
agg_column, value_column, split_column = st.columns(3)
agg = agg_column.selectbox("Aggregate", AGGREGATIONS)
value = value_column.selectbox("Of", numbers)
split = split_column.selectbox("Split by", ["(none)", *categories])

if kind == "line":
    keys = [pd.Grouper(key="date", freq="MS")] + ([] if split == "(none)" else [split])
    grouped = filtered.groupby(keys)[value]
    points = (grouped.size() if agg == "count" else grouped.agg(agg)).rename("value").reset_index()
    chart = alt.Chart(points).mark_line(point=True).encode(
        x=alt.X("date:T"), y=alt.Y("value:Q", title=f"{agg} {value}"),
        **({} if split == "(none)" else {"color": f"{split}:N"}),
    )
else:
    category = split if split != "(none)" else categories[0]
    grouped = filtered.groupby(category)[value]
    points = (grouped.size() if agg == "count" else grouped.agg(agg)).rename("value").reset_index()
    chart = alt.Chart(points).mark_bar().encode(x="value:Q", y=alt.Y(f"{category}:N", sort="-x"))
st.altair_chart(chart)
st.caption(f"{len(points):,} points")
