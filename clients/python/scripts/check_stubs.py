#!/usr/bin/env python3
"""Fail (exit 1, naming the files) if the committed stubs differ from what proto/ generates.

The same as `generate_stubs.py --check`; CI calls it. Needs the tools of scripts/stub-tools.txt.
"""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from generate_stubs import main

if __name__ == "__main__":
    sys.exit(main(["--check", *sys.argv[1:]]))
