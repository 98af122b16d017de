"""The registry drives everything that lists checks: console scripts, bin/, the app, the suite, the readers."""

from __future__ import annotations

import inspect
import os
import tomllib
from typing import Any

import pytest

from cronchecks.core.invocation import STANDARD_OPTIONS, build_invocation
from cronchecks.core.registry import CHECKS
from cronchecks.core.values import OptionValues
from tests.conftest import ROOT, run_console_script

# Arguments a check cannot do without, to build it with nothing else given.
REQUIRED: dict[str, dict[str, Any]] = {"http": {"url": "http://127.0.0.1:9/"}, "log": {"files": ["/x"]}}


def test_console_scripts_are_the_registry():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"cronchecks": "cronchecks.cli:cronchecks_entry",
                       **{f"check-{name}": f"cronchecks.cli:check_{name}" for name in CHECKS}}
    from cronchecks import cli

    for name in CHECKS:
        assert callable(getattr(cli, f"check_{name}"))
    with pytest.raises(AttributeError):
        cli.check_nosuchcheck  # noqa: B018  (the module's __getattr__ knows only registered checks)


def test_bin_is_one_launcher_linked_under_every_registered_name():
    names = {path.name for path in (ROOT / "bin").iterdir()}
    commands = {"cronchecks", *(f"check-{name}" for name in CHECKS)}
    assert names == commands | {f"{command}.cmd" for command in commands}
    for name in CHECKS:
        link = ROOT / "bin" / f"check-{name}"
        assert link.is_symlink() and os.readlink(link) == "cronchecks"
    assert len({(ROOT / "bin" / f"{command}.cmd").read_bytes() for command in commands}) == 1


def test_the_app_has_a_subcommand_for_every_check():
    done = run_console_script("cronchecks", "--help")
    for name in CHECKS:
        assert f" {name} " in done.stdout


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_a_suite_knows_every_check_type(tmp_path, name):
    required = "".join(f"{key} = {value!r}\n" for key, value in REQUIRED.get(name, {}).items())
    (tmp_path / "s.toml").write_text(f"[[check]]\nname = 'x'\ntype = '{name}'\n{required}not-an-option = 1\n")
    done = run_console_script("cronchecks", "suite", "--check", str(tmp_path / "s.toml"))
    assert done.code == 3 and f"key 'not-an-option': not an option of check-{name}" in done.stdout, done.stdout


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_the_readers_defaults_are_the_commands_defaults(name):
    """An option left out of a suite table means what the same option left off the command line means."""
    spec = CHECKS[name]
    command = spec.load_command()
    declared: dict[str, Any] = {}
    from cronchecks.cli.standard import long_name

    for parameter in inspect.signature(command).parameters.values():
        if parameter.default is not inspect.Parameter.empty and parameter.name != "version":
            declared[long_name(parameter)] = parameter.default
    declared.update(REQUIRED.get(name, {}))
    from_argv = build_invocation(name, OptionValues(declared, f"check-{name}"))
    from_suite = build_invocation(name, OptionValues(dict(REQUIRED.get(name, {})), f"check-{name}", env={}))
    assert from_argv == from_suite


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_every_option_of_a_command_is_read_by_its_reader(name):
    """A declared option no reader takes would be refused as unknown: each is read."""
    from cronchecks.cli.standard import long_name

    command = CHECKS[name].load_command()
    for parameter in inspect.signature(command).parameters.values():
        key = long_name(parameter)
        if key in (*STANDARD_OPTIONS, "version"):
            continue
        values = OptionValues({**REQUIRED.get(name, {}), key: None}, f"check-{name}")
        values._values[key] = parameter.default if parameter.default not in (None, inspect.Parameter.empty) else "1"
        complaint = ""
        try:
            build_invocation(name, values)
        except Exception as error:  # a bad value is fine here; an unknown option is not
            complaint = str(error)
        assert "not an option" not in complaint, f"--{key} is declared but no reader takes it"
