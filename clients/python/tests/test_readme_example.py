"""The README's async procurement example, run as a reader would paste it, against the real server."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
MARKER = "<!-- async-procurement-example -->"


def example() -> str:
    text = README.read_text(encoding="utf-8")
    found = re.search(re.escape(MARKER) + r"\s*```python\n(.*?)\n```", text, re.DOTALL)
    assert found, f"no python block after {MARKER} in {README}"
    return found.group(1)


def test_the_readme_async_example_verifies_offline_and_sees_the_revocation(server, buyer_token):
    environment = dict(
        os.environ,
        PROVENANCE_URL=server.url,
        VENDOR_TOKEN=server.vendor_admin,
        BUYER_TOKEN=buyer_token,
        BUYER_ORG_ID=server.buyer_org,
    )
    run = subprocess.run([sys.executable, "-c", example()], env=environment, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("accepted ") and lines[0].endswith(" supplier-corpus CLEAN"), lines
    certificate_id = lines[0].split()[1]
    assert lines[1] == f"REVOKED {certificate_id} dataset withdrawn cause certificates/{certificate_id}", lines
    assert lines[2] == "online now: REVOKED", lines
