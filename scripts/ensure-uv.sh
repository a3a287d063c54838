#!/usr/bin/env bash
# Prints a command that runs uv, installing uv from PyPI first if this machine has none.
set -eu
if command -v uv >/dev/null 2>&1; then command -v uv; exit 0; fi
if python3 -m uv --version >/dev/null 2>&1; then echo "python3 -m uv"; exit 0; fi
echo "uv not found: installing it from PyPI (python3 -m pip install --user uv)" >&2
python3 -m pip install --quiet --user uv >&2 || python3 -m pip install --quiet uv >&2
if command -v uv >/dev/null 2>&1; then command -v uv; else echo "python3 -m uv"; fi
