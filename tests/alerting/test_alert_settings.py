"""One reader for the alert settings: `cronchecks run` and a suite file refuse each bad value with the same words."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cronchecks.alerting.settings import ALERT_KEYS, read_alert_settings
from cronchecks.core.values import OptionError, OptionValues
from tests.conftest import run_console_script

BAD_VALUES = [
    ("after", "0"), ("after", "-1"), ("after", "two"),
    ("remind", "-5m"), ("remind", "0s"), ("remind", "soon"),
    ("remind-every", "0"), ("remind-every", "-3"),
    ("notify-on", "problems"), ("notify-on", ","),
]


def _reason(key: str, value: str) -> str:
    try:
        read_alert_settings(OptionValues({key: value}, "cronchecks run"))
    except OptionError as error:
        return error.reason
    raise AssertionError(f"{key}={value!r} was accepted")


@pytest.mark.parametrize("key, value", BAD_VALUES)
def test_run_and_suite_refuse_a_bad_alert_setting_alike(tmp_path, key, value):
    reason = _reason(key, value)
    done = run_console_script("cronchecks", "run", "--state-dir", str(tmp_path / "state"), f"--{key}", value,
                              "--", "true")
    assert done.code == 3, done.stdout
    assert done.stdout.startswith(f"CRONCHECKS UNKNOWN - invalid --{key}: {reason}"), done.stdout
    suite = tmp_path / "s.toml"
    toml_value = value if value.lstrip("-").isdigit() else repr(value)
    suite.write_text(f"[[check]]\nname = 'x'\ntype = 'command'\nargv = ['true']\n{key} = {toml_value}\n")
    checked = run_console_script("cronchecks", "suite", "--check", str(suite))
    assert checked.code == 3 and f"key '{key}': {reason}" in checked.stdout, checked.stdout


def test_a_negative_reminder_interval_is_refused_by_both(tmp_path):
    """The defect that made this reader one: `remind = "-5m"` passed `suite --check` and reminded on every run."""
    suite = tmp_path / "s.toml"
    suite.write_text("[defaults]\nremind = '-5m'\n[[check]]\nname = 'x'\ntype = 'command'\nargv = ['true']\n")
    checked = run_console_script("cronchecks", "suite", "--check", str(suite))
    assert checked.code == 3 and "key 'remind'" in checked.stdout and ":2: [defaults]" in checked.stdout


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(ALERT_KEYS),
       value=st.one_of(st.text(max_size=20), st.integers(-5, 5), st.booleans(),
                       st.lists(st.text(max_size=5), max_size=3), st.floats(allow_nan=True),
                       st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)))
def test_any_value_is_read_or_refused_by_name(key, value):
    """Whatever a TOML file holds for an alert key, the reader answers with settings or an OptionError naming it."""
    refused: OptionError | None = None
    try:
        read_alert_settings(OptionValues({key: value}, "cronchecks suite", env={}))
    except OptionError as error:
        refused = error
    assert refused is None or (refused.option == key and refused.reason)
