"""The settings' reader every service reads through: the schema's default and rule, the
variable named in every refusal."""
import pytest

import envsettings
from envsettings import Flag, Number, SettingError, Whole, read


def test_an_unset_or_empty_setting_takes_the_schemas_default_converted():
    assert read("GUNICORN_WORKERS", {}) == 4
    assert read("GUNICORN_WORKERS", {"GUNICORN_WORKERS": "  "}) == 4
    assert read("PORTAL_REQUIRE_MFA", {}) is False
    assert read("DJANGO_ALLOWED_HOSTS", {}) == ["localhost", "127.0.0.1"]
    assert read("DJANGO_CSRF_TRUSTED_ORIGINS", {}) == []
    assert read("EMAIL_HOST", {}) == ""


def test_a_value_is_checked_by_the_same_rule_as_the_env_file():
    assert read("STREAMLIT_REPLICAS", {"STREAMLIT_REPLICAS": " 7 "}) == 7
    assert read("EMAIL_USE_TLS", {"EMAIL_USE_TLS": "false"}) is False
    for value in ("0", "33", "two", "-1"):
        problem = envsettings.problem("STREAMLIT_REPLICAS", value)
        with pytest.raises(SettingError) as refused:
            read("STREAMLIT_REPLICAS", {"STREAMLIT_REPLICAS": value})
        assert str(refused.value) == f"STREAMLIT_REPLICAS {problem}"


@pytest.mark.parametrize("name, value, words", [
    ("PORTAL_LANGUAGE", "fr", "must be one of ko, en, got 'fr'"),
    ("PORTAL_TIME_ZONE", "Mars/Olympus", "must be an IANA time zone"),
    ("TRUSTED_PROXIES", "10.0.0.0/8 nowhere", "'nowhere' is not an address or CIDR"),
    ("PROBE_MEM_WARN", "101", "must be between 1 and 100, got 101"),
    ("INTERNAL_API_TOKEN", "short", "must be at least 32 characters"),
])
def test_a_malformed_value_is_refused_with_its_name(name, value, words):
    with pytest.raises(SettingError, match=f"^{name} {words}"):
        read(name, {name: value})


def test_a_variable_outside_the_schema_has_the_callers_rule_and_default():
    assert read("GUNICORN_TIMEOUT", {}, default=30, rule=Whole(1)) == 30
    assert read("PROBE_TIMEOUT", {"PROBE_TIMEOUT": "0.5"}, default=3.0, rule=Number()) == 0.5
    assert read("TLS_ENABLED", {"TLS_ENABLED": "true"}, default="false", rule=Flag()) is True
    with pytest.raises(SettingError, match="^PROBE_TIMEOUT must be a number above 0"):
        read("PROBE_TIMEOUT", {"PROBE_TIMEOUT": "0"}, default=3.0, rule=Number())
    with pytest.raises(SettingError, match="^PORTAL_NODE is not set"):
        read("PORTAL_NODE", {})


def test_a_service_may_give_a_setting_another_default_but_not_another_rule():
    assert read("DJANGO_SECRET_KEY", {}, default="x" * 40) == "x" * 40
    with pytest.raises(SettingError, match="DATASET_MAX_COLUMNS must be between 1 and 100000"):
        read("DATASET_MAX_COLUMNS", {"DATASET_MAX_COLUMNS": "200000"}, rule=Whole(1))
