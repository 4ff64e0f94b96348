"""The bench's arithmetic: percentiles, where p95 crosses 1 s, ratios, fits, spread, moves."""
import pytest

from portal_bench import stats


def test_percentiles_interpolate_between_closest_ranks():
    values = list(range(1, 101))
    assert stats.percentile(values, 50) == pytest.approx(50.5)
    assert stats.percentile(values, 95) == pytest.approx(95.05)
    assert stats.percentile(values, 99) == pytest.approx(99.01)
    assert stats.percentile(values, 0) == 1
    assert stats.percentile(values, 100) == 100


def test_percentiles_do_not_care_about_order_and_handle_one_or_no_value():
    assert stats.percentile([30.0, 10.0, 20.0], 50) == 20.0
    assert stats.percentile([7.0], 95) == 7.0
    assert stats.percentile([], 95) is None


def test_a_percentile_outside_0_to_100_is_refused():
    with pytest.raises(ValueError):
        stats.percentile([1.0], 101)


def test_a_step_summary_counts_successes_per_second_and_keeps_errors_apart():
    summary = stats.summarize([10.0, 20.0, 30.0, 40.0], errors=3, seconds=2.0)
    assert summary["requests"] == 4
    assert summary["rps"] == 2.0
    assert summary["errors"] == 3
    assert summary["p50"] == 25.0
    assert summary["max"] == 40.0


def test_a_step_with_only_errors_has_no_latency():
    summary = stats.summarize([], errors=5, seconds=1.0)
    assert summary["rps"] == 0
    assert summary["p95"] is None and summary["max"] is None


def test_crossing_names_the_points_either_side_and_interpolates():
    found = stats.crossing([(1, 100.0), (5, 400.0), (20, 800.0), (50, 1400.0)], 1000.0)
    assert found["crossed"]
    assert found["below"] == (20, 800.0)
    assert found["above"] == (50, 1400.0)
    # 800 -> 1400 over 20 -> 50: 1000 is a third of the way.
    assert found["estimate"] == pytest.approx(30.0)


def test_crossing_when_the_first_point_is_already_over():
    found = stats.crossing([(1, 1500.0), (5, 3000.0)], 1000.0)
    assert found["crossed"] and found["below"] is None and found["estimate"] is None
    assert found["above"] == (1, 1500.0)


def test_no_crossing_reports_the_last_point_under_the_threshold():
    found = stats.crossing([(1, 10.0), (50, 999.0)], 1000.0)
    assert not found["crossed"]
    assert found["below"] == (50, 999.0)


def test_crossing_skips_levels_without_a_measurement():
    found = stats.crossing([(1, 100.0), (5, None), (20, 2000.0)], 1000.0)
    assert found["below"] == (1, 100.0) and found["above"] == (20, 2000.0)


def test_a_value_exactly_at_the_threshold_has_not_passed_it():
    assert not stats.crossing([(1, 1000.0)], 1000.0)["crossed"]


def test_ratios():
    assert stats.ratio(1200.0, 300.0) == 4.0
    assert stats.ratio(None, 300.0) is None
    assert stats.ratio(1.0, 0) is None


def test_linear_fit_recovers_a_straight_line():
    slope, intercept = stats.linear_fit([(1, 12.0), (5, 20.0), (10, 30.0)])
    assert slope == pytest.approx(2.0)
    assert intercept == pytest.approx(10.0)


def test_linear_fit_needs_two_distinct_x():
    assert stats.linear_fit([(5, 1.0), (5, 2.0)]) is None


def test_spread_compares_the_busiest_and_idlest_replica_with_the_fair_share():
    assert stats.spread([500, 500]) == {"max_over_fair": 1.0, "min_over_fair": 1.0}
    uneven = stats.spread([200, 300, 500])
    assert uneven["max_over_fair"] == pytest.approx(1.5)
    assert uneven["min_over_fair"] == pytest.approx(0.6)


def test_moved_fraction_counts_clients_whose_replica_changed():
    before = {"a": "r1", "b": "r1", "c": "r2", "d": "r3"}
    after = {"a": "r1", "b": "r4", "c": "r2", "d": "r4"}
    assert stats.moved_fraction(before, after) == 0.5


def test_moved_fraction_needs_clients_in_common():
    with pytest.raises(ValueError):
        stats.moved_fraction({"a": "r1"}, {"b": "r1"})
