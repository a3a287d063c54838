#!/usr/bin/env bash
# Prints the path of a working Python interpreter of the wanted minor version (e.g. 3.10).
# Looks in pyenv first (these machines install 3.10 there without making it the default),
# then on PATH, then among uv-managed interpreters. Exits 1 with instructions if none works.
set -u
# Several versions may be given, in order of preference: find-python.sh 3.11 3.12 3.13
[ $# -ge 1 ] || { echo "usage: find-python.sh 3.10 [3.11 …]" >&2; exit 2; }
for want in "$@"; do

works() { [ -x "$1" ] && "$1" -c "import sys; sys.exit(0 if '%d.%d' % sys.version_info[:2] == '$want' else 1)" 2>/dev/null; }

if command -v pyenv >/dev/null 2>&1; then
  for v in $(pyenv versions --bare 2>/dev/null | grep -E "^${want//./\\.}\.[0-9]+$" | sort -t. -k3,3nr); do
    candidate="$(pyenv prefix "$v" 2>/dev/null)/bin/python$want"
    if works "$candidate"; then echo "$candidate"; exit 0; fi
  done
fi
for candidate in "$(command -v "python$want" 2>/dev/null)" /usr/bin/python"$want" /usr/local/bin/python"$want"; do
  if [ -n "$candidate" ] && works "$candidate"; then echo "$candidate"; exit 0; fi
done
if command -v uv >/dev/null 2>&1; then
  candidate="$(uv python find "$want" 2>/dev/null || true)"
  if [ -n "$candidate" ] && works "$candidate"; then echo "$candidate"; exit 0; fi
fi
done
want="$*"
cat >&2 <<MSG
No working Python $want interpreter was found (looked in pyenv, on PATH and among uv-managed Pythons).
Install one, then run the command again. Any of these works:
  pyenv install $want           # if you use pyenv
  uv python install $want       # where uv may download Python builds
  apt-get install python$want python$want-venv   # on Debian/Ubuntu releases that ship it
MSG
exit 1
