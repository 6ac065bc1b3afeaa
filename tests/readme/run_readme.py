#!/usr/bin/env python3
"""Runs the README's shell walkthroughs as a reader would paste them, to keep them pasteable.

Every fenced ```sh block of README.md is run in order, in one bash session (so that variables and
functions carry from one block to the next), against a fresh server this script starts on a free
loopback port with a fresh data directory; then the whole README again, in a new session against
the same server, as a reader pasting it a second time would. Any command that ends with an
unexpected exit code stops the run, naming its line in README.md.

How the blocks are run:

* The session runs with `set -eE -o pipefail`: a command that fails outside an `if`, `||` or `&&`
  stops the run. A block that shows a failure says the exit code it expects, in the block itself:
  `provctl policy evaluate "$SFT" || test $? -eq 7`.
* The session's working directory is a fresh directory whose `data/` is the server's data
  directory, as `./data` is the server's when a reader follows the README from the repository's
  root: `provenance-registry admin ...` works on it. `PROVENANCE_URL` names the server, and the
  directory given with `--bin-dir` (default `target/debug`) comes first on `PATH`. No
  `PROVENANCE_*` variable or provctl config file of the caller's environment leaks in.
* A block may be preceded by a marker, an HTML comment (invisible once the Markdown is rendered)
  alone on its line, with only blank lines between it and the block's opening fence:

  <!-- readme-runner: skip (REASON) -->          the block is not run; the runner prints REASON
  <!-- readme-runner: needs TOOL... (REASON) --> run only when every TOOL is on PATH; else skipped,
                                                 printing which is missing and REASON
  <!-- readme-runner: server (REASON) -->        the block starts the server: not run, the runner's
                                                 own server stands in for it

  A marker anywhere else, or of another kind, is an error, so a marker cannot silently stop
  applying to the block it was written for.

Usage: python3 tests/readme/run_readme.py [--bin-dir target/debug] [--passes 2] [--keep]
(build first: `cargo build -p provenance-registry -p provctl`). CI runs it after the Rust tests.
"""

import argparse
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "support"))

from server_process import serve, stop  # noqa: E402

FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>\S*)\s*$")
MARKER = re.compile(r"^\s*<!--\s*readme-runner:\s*(?P<body>.*?)\s*-->\s*$")
KINDS = ("skip", "needs", "server")
# Shell blocks under another name would be skipped silently: refused instead.
OTHER_SHELLS = ("bash", "shell", "console", "zsh")
# Seconds one pass of the whole README may take before the run is stopped as hung.
PASS_TIMEOUT = 300


class Block:
    """One ```sh block: its first line's number in README.md (1-based), its text, its marker."""

    def __init__(self, line, text, heading, marker):
        self.line = line
        self.text = text
        self.heading = heading
        self.kind, self.tools, self.reason = marker or (None, [], "")

    def skip_reason(self):
        """Why the block is not run here, or None to run it."""
        if self.kind == "skip":
            return f"skipped: {self.reason}"
        if self.kind == "server":
            return "the runner's own server stands in for this block" + (f" ({self.reason})" if self.reason else "")
        if self.kind == "needs":
            missing = [tool for tool in self.tools if shutil.which(tool) is None]
            if missing:
                return f"skipped: needs {', '.join(missing)}, not on PATH ({self.reason})"
        return None


def parse_marker(body, where, name):
    """(kind, tools, reason) of a marker's text, e.g. `needs dot (Graphviz draws the SVG)`."""
    match = re.fullmatch(r"(?P<kind>\w+)(?P<words>[^(]*)(?:\((?P<reason>.*)\))?", body)
    if not match or match["kind"] not in KINDS:
        raise SystemExit(f"{name}:{where}: unknown readme-runner marker {body!r}; expected one of {KINDS}")
    tools = match["words"].split()
    reason = (match["reason"] or "").strip()
    if match["kind"] == "needs" and not tools:
        raise SystemExit(f"{name}:{where}: `needs` names no tool")
    if match["kind"] != "needs" and tools:
        raise SystemExit(f"{name}:{where}: put the reason of `{match['kind']}` in parentheses")
    if match["kind"] == "skip" and not reason:
        raise SystemExit(f"{name}:{where}: `skip` needs a reason in parentheses")
    return match["kind"], tools, reason


def sh_blocks(readme):
    """Every ```sh block of `readme`, in order, each with its marker."""
    name = readme.name
    lines = readme.read_text(encoding="utf-8").splitlines()

    def misplaced(marker):
        return SystemExit(f"{name}:{marker[0]}: marker not followed by a ```sh block")

    blocks, heading, marker, number = [], "", None, 0
    while number < len(lines):
        line = lines[number]
        number += 1
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        found = MARKER.match(line)
        if found:
            if marker:
                raise misplaced(marker)
            marker = (number, parse_marker(found["body"], number, name))
            continue
        fence = FENCE.match(line)
        if fence:
            indent, lang = fence["indent"], fence["lang"]
            start = number + 1
            body = []
            while number < len(lines) and lines[number].strip() != "```":
                body.append(lines[number][len(indent) :] if lines[number].startswith(indent) else lines[number])
                number += 1
            number += 1  # the closing fence
            if lang in OTHER_SHELLS:
                raise SystemExit(f"{name}:{start - 1}: a ```{lang} block: write ```sh, so that it is run")
            if lang == "sh":
                blocks.append(Block(start, "\n".join(body) + "\n", heading, marker and marker[1]))
            elif marker:
                raise SystemExit(f"{name}:{marker[0]}: marker before a ```{lang} block, not ```sh")
            marker = None
        elif marker and line.strip():
            raise misplaced(marker)
    if marker:
        raise misplaced(marker)
    return blocks


def session_script(blocks, scratch, pass_number, name):
    """The bash script of one pass: each runnable block in a file of its own, padded with blank
    lines so that bash's line numbers (in errors, and in the trap below) are README.md's."""
    parts = [
        # errtrace (-E): the trap below fires in functions too (such as the walkthrough's `digest`).
        "set -eE -o pipefail",
        # Where a command failed; errexit then ends the session. After `|| test $? -eq N`, the code
        # is test's: the command's own output above says what it did instead.
        "trap '__readme_failed $? $LINENO \"${FUNCNAME[0]:-}\" \"${BASH_LINENO[0]:-}\"' ERR",
        "__readme_failed() {",
        f"  echo \"readme-runner: the command at {name} line $2 failed (exit code $1)\" \\",
        "    \"${3:+in $3, called at line $4}\" | sed 's/ *$//' >&2",
        "}",
    ]
    for block in blocks:
        # A blank line first: the block before may have left its last line unended (curl's JSON).
        header = f"\n--- pass {pass_number}, {name} line {block.line} ({block.heading})"
        reason = block.skip_reason()
        if reason:
            parts.append(f"printf '%s\\n' {shell_quote(header)} {shell_quote('    ' + reason)}")
            continue
        path = scratch / f"pass{pass_number}-line{block.line:05d}.sh"
        path.write_text("\n" * (block.line - 1) + block.text, encoding="utf-8")
        parts.append(f"printf '%s\\n' {shell_quote(header)}")
        parts.append(f"source {shell_quote(str(path))}")
    parts.append("printf '%s\\n' 'readme-runner: pass complete'")
    return "\n".join(parts) + "\n"


def shell_quote(text):
    return "'" + text.replace("'", "'\\''") + "'"


def session_env(bin_dir, address, home):
    """The caller's environment without its registry settings, with the runner's server and
    binaries."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVENANCE_")}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        PROVENANCE_URL=f"http://{address}",
        # No provctl config file of the caller's; the walkthroughs use flags and PROVENANCE_TOKEN.
        XDG_CONFIG_HOME=str(home / "config"),
    )
    return env


def run_pass(blocks, workdir, scratch, env, pass_number, name):
    script = scratch / f"pass{pass_number}.sh"
    script.write_text(session_script(blocks, scratch, pass_number, name), encoding="utf-8")
    started = time.monotonic()
    # A process group of its own, so that a hung pass is stopped with everything it started.
    shell = subprocess.Popen(
        ["bash", "--noprofile", "--norc", str(script)],
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        code = shell.wait(timeout=PASS_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(shell.pid, signal.SIGKILL)
        shell.wait()
        raise SystemExit(f"readme-runner: pass {pass_number} still running after {PASS_TIMEOUT} s: stopped")
    return code, time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readme", type=pathlib.Path, default=REPO / "README.md")
    parser.add_argument("--bin-dir", type=pathlib.Path, default=REPO / "target" / "debug",
                        help="where provenance-registry and provctl are (default: target/debug)")
    parser.add_argument("--passes", type=int, default=2, help="times to run the whole README (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the working directory and the server's data")
    args = parser.parse_args()

    bin_dir = args.bin_dir.resolve()
    for binary in ("provenance-registry", "provctl"):
        if not (bin_dir / binary).is_file():
            raise SystemExit(f"readme-runner: no {bin_dir / binary}: run `cargo build -p provenance-registry -p provctl`")
    blocks = sh_blocks(args.readme)
    runnable = [b for b in blocks if b.skip_reason() is None]
    print(f"readme-runner: {len(blocks)} sh blocks in {args.readme.name}, {len(runnable)} to run, "
          f"{args.passes} pass(es)", flush=True)

    home = pathlib.Path(tempfile.mkdtemp(prefix="readme-runner-"))
    workdir, scratch = home / "work", home / "blocks"
    for directory in (workdir, scratch, home / "config"):
        directory.mkdir()
    data_dir = workdir / "data"
    started = time.monotonic()
    process, address = serve(bin_dir / "provenance-registry", data_dir)
    failed = None
    try:
        print(f"readme-runner: server on {address}, working directory {workdir}", flush=True)
        env = session_env(bin_dir, address, home)
        for pass_number in range(1, args.passes + 1):
            code, seconds = run_pass(blocks, workdir, scratch, env, pass_number, args.readme.name)
            print(f"readme-runner: pass {pass_number}: exit code {code}, {seconds:.1f} s", flush=True)
            if code != 0:
                failed = pass_number
                break
    finally:
        if args.keep:
            process.terminate()
            process.wait(timeout=20)
            print(f"readme-runner: kept {home}")
        else:
            stop(process, data_dir)
            shutil.rmtree(home, ignore_errors=True)
    total = time.monotonic() - started
    if failed:
        raise SystemExit(f"readme-runner: FAILED in pass {failed} (see the line named above); {total:.1f} s in all")
    print(f"readme-runner: every block ran as expected, {args.passes} pass(es) in {total:.1f} s")


if __name__ == "__main__":
    main()
