"""The README cannot fall behind the commands (sqlite-utils' test_docs.py is the model).

- Every command of the Typer app has its own `## check-NAME` / `## cronchecks VERB`
  section, and every option of it is named in that section (the options every check
  shares, in "The output contract").
- Every command line the README shows (```sh blocks, the synopses in plain ```
  blocks, and `check-...`/`cronchecks ...` inline code in tables and sentences) uses
  only options the command's --help lists.
- The rule for runnable examples: a line in a fenced block that starts with `$ ` and
  whose command (after any VAR=value prefixes) is one of ours is run here, from the
  repository's root, with a fresh empty state folder and HOME, and must exit 0-3 without
  a traceback; when the README shows its output, the real output's first word must be the
  same (HEARTBEAT, LOG, ...). So write `$ ` only before commands that are safe to run
  anywhere; set-up commands, cron lines and commands that write files have no prompt.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest
import typer

from cronchecks.cli.app import build_app
from cronchecks.cli.standard import _STANDARD_PARAMETERS
from cronchecks.core.registry import CHECKS
from tests.conftest import ROOT, VENV_BIN
from tests.test_examples import help_options, invocations_in, joined_lines, program_of, shell_words

README = (ROOT / "README.md").read_text(encoding="utf-8")
STANDARD_SECTION = "The output contract"


def sections(text: str) -> dict[str, str]:
    """Level-2 sections by title, each with its subsections."""
    found, title = {}, None
    for line in text.splitlines():
        heading = re.match(r"## (?!#)(.+)", line)
        if heading:
            title = heading.group(1).strip()
            found[title] = ""
        elif title is not None:
            found[title] += line + "\n"
    return found


SECTIONS = sections(README)
APP = typer.main.get_group(build_app())


def section_title(command: str) -> str:
    return f"check-{command}" if command in CHECKS else f"cronchecks {command}"


def documented_options() -> list[tuple[str, str, str]]:
    """(command, option, the section that must name it) for every option of every command."""
    rows = []
    for name, command in sorted(APP.commands.items()):
        for param in command.params:
            if param.param_type_name != "option":  # typer vendors its own click: no isinstance
                continue
            standard = name in CHECKS and param.name in _STANDARD_PARAMETERS
            for option in [*param.opts, *param.secondary_opts]:
                if option in ("--help", "-h"):
                    continue
                rows.append((name, option, STANDARD_SECTION if standard else section_title(name)))
    return rows


def fenced_blocks(text: str) -> list[tuple[str, int, str]]:
    """(info string, line number of the block's first line, body) of every fenced block."""
    return [(match.group(1), text[:match.start()].count("\n") + 2, match.group(2))
            for match in re.finditer(r"^```(\S*)\n(.*?)^```", text, re.S | re.M)]


def test_the_app_is_what_the_readme_describes():
    assert set(APP.commands) == set(CHECKS) | {"run", "suite", "report", "demo", "downtime", "ack", "status", "forget",
                                               "config", "outbox"}
    assert len(documented_options()) > 100


@pytest.mark.parametrize("command", sorted(APP.commands))
def test_every_command_has_a_section_and_a_row(command):
    assert section_title(command) in SECTIONS, f"README.md has no '## {section_title(command)}' section"
    table = SECTIONS["The commands"]
    assert f"`{section_title(command)}" in table or f"`cronchecks {command}" in table, \
        f"{command} is missing from the table in 'The commands'"


@pytest.mark.parametrize("command,option,section", documented_options(),
                         ids=[f"{c}:{o}" for c, o, _ in documented_options()])
def test_every_option_is_documented(command, option, section):
    text = SECTIONS.get(section, "")
    assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text), \
        f"{option} of {section_title(command)} is not in the README's '{section}' section"


def readme_command_lines() -> list[tuple[int, str, str]]:
    """(line, info string, command text) of every line in ```sh and plain blocks naming our commands."""
    lines = []
    for info, first, body in fenced_blocks(README):
        if info not in ("sh", ""):
            continue
        logical: list[tuple[int, str]] = []
        for number, line in joined_lines(body):
            if info == "" and line[:1].isspace() and logical:
                # a synopsis continues on indented lines
                logical[-1] = (logical[-1][0], logical[-1][1] + " " + line)
                continue
            logical.append((number, line))
        for number, text in logical:
            line = text[2:] if text.startswith("$ ") else text
            if info == "":
                words = line.split()
                if not words or not program_of(words[0]):
                    continue  # output, not a command
                line = re.sub(r"[\[\]|()]", " ", line)  # a synopsis: [--a X | --b Y]
            lines.append((first + number - 1, info, line))
    return lines


def test_readme_command_lines_use_real_options():
    problems, seen = [], 0
    for number, _, line in readme_command_lines():
        for invocation in invocations_in(shell_words(line), f"README.md:{number}", strict=False):
            seen += 1
            known = help_options(invocation.command)
            problems += [f"{invocation.where}: {' '.join(invocation.command)} has no option {option}"
                         for option in invocation.options() if option not in known]
    assert seen > 40, f"only {seen} command lines found: is the README's code still fenced?"
    assert not problems, "\n".join(problems)


def test_readme_inline_commands_use_real_options():
    """`check-http URL --no-follow ...` in a table cell or a sentence is held to the same rule."""
    prose = re.sub(r"^```.*?^```", "", README, flags=re.S | re.M)
    problems, seen = [], 0
    for span in re.findall(r"`([^`\n]+)`", prose):
        words = shell_words(span)
        while words and re.fullmatch(r"[A-Za-z_]\w*=.*", words[0]):
            words.pop(0)
        if not words or not program_of(words[0]):
            continue
        for invocation in invocations_in(words, f"README.md `{span[:60]}`", strict=False):
            seen += 1
            known = help_options(invocation.command)
            problems += [f"{invocation.where}: {' '.join(invocation.command)} has no option {option}"
                         for option in invocation.options() if option not in known]
    assert seen > 50
    assert not problems, "\n".join(problems)


def prompt_lines() -> list[tuple[int, str, str | None]]:
    """(line, command, first line of the output shown under it) for every runnable `$ ` line."""
    found = []
    for _, first, body in fenced_blocks(README):
        lines = body.splitlines()
        for index, line in enumerate(lines):
            if not line.startswith("$ "):
                continue
            command = line[2:].strip()
            words = shell_words(command)
            while words and re.fullmatch(r"[A-Za-z_]\w*=.*", words[0]):
                words.pop(0)
            if not words or not program_of(words[0]):
                continue
            shown = lines[index + 1] if index + 1 < len(lines) and not lines[index + 1].startswith("$ ") else None
            found.append((first + index, command, shown or None))
    return found


def test_there_are_runnable_readme_lines():
    commands = [command for _, command, _ in prompt_lines()]
    assert any("suite --check examples/" in command for command in commands)
    assert len(commands) >= 4


@pytest.mark.parametrize("number,command,shown", prompt_lines(), ids=[f"README.md:{n}" for n, _, _ in prompt_lines()])
def test_readme_prompt_line_runs(number, command, shown, tmp_path):
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}", "HOME": str(tmp_path),
           "CRONCHECKS_STATE_DIR": str(tmp_path / "state"), "NO_COLOR": "1", "COLUMNS": "200"}
    for variable in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        env.pop(variable, None)
    done = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    output = done.stdout + done.stderr
    assert 0 <= done.returncode <= 3, f"README.md:{number}: `{command}` exited {done.returncode}:\n{output}"
    assert "Traceback" not in output, f"README.md:{number}: `{command}`:\n{output}"
    if shown:
        real = done.stdout.split()[:1]
        assert real and real[0].lower() == shown.split()[0].lower(), \
            f"README.md:{number}: the README shows {shown[:60]!r}..., the command printed {done.stdout[:200]!r}"
