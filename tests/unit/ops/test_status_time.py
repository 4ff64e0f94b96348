"""ops/status shows its time on the portal's clock (PORTAL_TIME_ZONE), with the zone's name."""
import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "ops" / "lib"))

import status  # noqa: E402

MOMENT = datetime(2026, 11, 28, 4, 18, 5, tzinfo=timezone.utc)


def test_a_time_is_on_the_portal_clock_with_its_zone():
    assert status.shown_at(MOMENT, "Asia/Seoul") == "2026-11-28 13:18:05 KST"
    assert status.shown_at(MOMENT, "Europe/Berlin") == "2026-11-28 05:18:05 CET"
    assert status.shown_at(MOMENT, "UTC") == "2026-11-28 04:18:05 UTC"


def test_no_zone_set_is_seoul_and_a_broken_one_is_utc():
    assert status.shown_at(MOMENT, "") == "2026-11-28 13:18:05 KST"
    assert status.shown_at(MOMENT, "Mars/Olympus") == "2026-11-28 04:18:05 UTC"
