"""The installed CLI in a real pseudo-terminal: what a person sees, colour on a TTY only."""

from __future__ import annotations

import os
import shutil

import pytest

pexpect = pytest.importorskip("pexpect")
MLSALARY = shutil.which("mlsalary")
pytestmark = pytest.mark.skipif(MLSALARY is None, reason="the mlsalary entry point is not installed (pip install .)")

ARGS = ["estimate", "--experience", "5", "--country", "Germany", "--skills", "python,pytorch", "--education", "master"]


def run_in_terminal(extra_env: dict[str, str]) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM", "COLUMNS", "FORCE_COLOR")}
    env.update({"TERM": "xterm-256color", **extra_env})
    child = pexpect.spawn(MLSALARY, ARGS, env=env, encoding="utf-8", dimensions=(60, 100), timeout=120)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    return child.before


def test_a_person_sees_the_range_and_the_contributions_in_colour():
    screen = run_in_terminal({})
    assert "\x1b[" in screen  # colour on a terminal
    plain = _strip_ansi(screen)
    assert "Median" in plain and "Likely range (p25-p75)" in plain and "Wide range (p10-p90)" in plain
    assert "Why: contributions to the median" in plain
    for label in ("Baseline", "Country", "Germany", "Skills", "python, pytorch"):
        assert label in plain
    assert "█" in plain  # the bars


def test_no_color_removes_colour_but_keeps_the_layout():
    screen = run_in_terminal({"NO_COLOR": "1"})
    assert "\x1b[3" not in screen and "\x1b[9" not in screen  # no foreground colours
    assert "Median" in screen and "Why: contributions to the median" in screen


def _strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def test_the_strip_uses_box_drawing_on_a_terminal():
    plain = _strip_ansi(run_in_terminal({"NO_COLOR": "1"}))
    assert "┃" in plain and "─" in plain


def test_batch_on_a_terminal_with_nothing_piped_says_what_it_waits_for():
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    child = pexpect.spawn(MLSALARY, ["batch"], env={**env, "TERM": "dumb"}, encoding="utf-8", timeout=60)
    child.expect("Reading profiles \\(CSV\\) from the terminal")
    child.sendline("country,experience")
    child.sendline("DE,5")
    child.sendeof()
    child.expect(pexpect.EOF)
    assert "DE,5," in child.before


def test_value_completion_and_environment_defaults():
    from typer.testing import CliRunner

    from mlsalary.cli import _complete, app

    assert "Germany" in _complete("country")("Ger")
    assert _complete("seniority")("s") == ["senior", "staff", "senior-staff", "senior-principal"]
    result = CliRunner().invoke(app, ["estimate", "--json", "--no-explain"], env={"MLSALARY_COUNTRY": "DE", "MLSALARY_ROLE": "ml-engineer"})
    import json

    profile = json.loads(result.stdout)["profile"]
    assert profile["country"] == "DE" and profile["role"] == "ml-engineer"


def test_location_and_by_complete_through_the_shell_protocol():
    # What bash asks for on TAB (Typer's completion protocol), for --location and compare --by.
    import subprocess

    def complete(*words):
        env = {**os.environ, "_MLSALARY_COMPLETE": "complete_bash", "COMP_WORDS": " ".join(["mlsalary", *words]), "COMP_CWORD": str(len(words))}
        return subprocess.run(["mlsalary"], env=env, capture_output=True, text=True, timeout=60).stdout.splitlines()

    assert "Seattle-Tacoma-Bellevue, WA" in complete("estimate", "--location", "Seat")
    assert complete("compare", "--by", "coun") == ["country="]
    assert "role=ml-engineer" in complete("compare", "--by", "role=ml")


def test_batch_redirected_to_a_file_writes_every_row_while_stderr_is_a_terminal(tmp_path):
    # `mlsalary batch people.csv > out.csv` typed in a terminal: stdout is the file, stderr the
    # terminal (where the row counter runs). Every row must reach the file, none the terminal.
    import pty
    import subprocess

    rows = 2000  # enough rows that the counter is live while rows are written
    source = tmp_path / "people.csv"
    source.write_text("country,experience,role\n" + "".join(f"DE,{i % 30},ml-engineer\n" for i in range(rows)))
    out = tmp_path / "out.csv"
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM", "COLUMNS", "FORCE_COLOR")}
    env["TERM"] = "xterm-256color"
    controller, terminal = pty.openpty()
    try:
        with out.open("wb") as stdout:
            proc = subprocess.Popen([MLSALARY, "batch", str(source)], stdin=subprocess.DEVNULL, stdout=stdout, stderr=terminal, env=env)
            os.close(terminal)
            screen = _drain(controller)
            assert proc.wait(timeout=120) == 0
    finally:
        os.close(controller)
    lines = out.read_text().splitlines()
    assert len(lines) == rows + 1, screen[-500:]
    assert lines[0].startswith("country,experience,role,p10")
    assert b"DE,5,ml-engineer," not in screen  # data never on the terminal


@pytest.mark.parametrize("terminal", [True, False])
def test_batch_notes_show_a_column_name_as_written(tmp_path, terminal):
    # A note quotes the file's own text: ":smile:" stays those seven characters, on a terminal
    # (drawn by Rich, the warning word in colour) and in a pipe (written plain, without Rich).
    import pty
    import subprocess

    source = tmp_path / "people.csv"
    source.write_text("country,:smile:\nDE,1\n")
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM", "COLUMNS", "FORCE_COLOR")}
    env["TERM"] = "xterm-256color"
    controller, stderr = pty.openpty() if terminal else os.pipe()
    try:
        proc = subprocess.Popen([MLSALARY, "batch", str(source)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, env=env)
        os.close(stderr)
        shown = _drain(controller)
        assert proc.wait(timeout=120) == 0
    finally:
        os.close(controller)
    assert "Note: column(s) ':smile:' match no factor" in shown.decode(), shown
    assert "\U0001f604" not in shown.decode()


def _drain(reader: int) -> bytes:
    """All a child writes to a terminal or pipe until it closes its end, read as it comes (so
    the child never blocks on a full buffer)."""
    shown = b""
    while True:
        try:
            chunk = os.read(reader, 65536)
        except OSError:  # EIO: the child closed its end of a terminal
            break
        if not chunk:
            break
        shown += chunk
    return shown
