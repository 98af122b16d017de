"""Options that name a state give exactly that state, OK included (OK is 0: a falsy default must not replace it)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cronchecks.core.result import Status
from cronchecks.core.values import OptionValues
from tests.conftest import run_console_script

STATES = {"ok": 0, "warning": 1, "critical": 2, "unknown": 3}


@pytest.mark.parametrize("state,code", STATES.items())
def test_check_log_missing_gives_that_state(tmp_path, state, code):
    done = run_console_script("check-log", str(tmp_path / "absent.log"), "-e", "x", "--missing", state)
    assert done.code == code, done.stdout
    assert done.first_line.startswith(f"LOG {state.upper()} - ")


@pytest.mark.parametrize("state,code", STATES.items())
def test_check_heartbeat_missing_result_gives_that_state(tmp_path, state, code):
    done = run_console_script("check-heartbeat", "-f", str(tmp_path / "absent"), "-w", "5m",
                              "--missing-result", state)
    assert done.code == code, done.stdout
    assert "does not exist" in done.first_line


@given(st.sampled_from(sorted(STATES)), st.sampled_from(["", " ", "\t"]), st.booleans())
def test_state_reader_keeps_every_state(name, pad, upper):
    text = pad + (name.upper() if upper else name) + pad
    for default in Status:
        assert OptionValues({"missing": text}, "check-x").state("missing", default) is Status[name.upper()]
    assert OptionValues({}, "check-x").state("missing", Status.WARNING) is Status.WARNING
