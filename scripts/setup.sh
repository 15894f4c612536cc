#!/usr/bin/env bash
# What ocrgate needs on a fresh Debian machine: apt packages, a venv at .venv, the project.
#
#   bash scripts/setup.sh serve   # serving only: apt-packages.txt, pip install -e '.[serve]'
#   bash scripts/setup.sh test    # everything: + apt-packages-test.txt, pip install -e '.[all,dev]'
#
# `scripts/run.sh` sets up `serve` (no TensorFlow, no Faker, no fonts, no Chromium), `scripts/test.sh`
# sets up `test` (the default). Versions come from constraints.txt (the ones our numbers were measured
# with). Idempotent and quick when nothing changed: each profile keeps a stamp in .venv with a hash of
# pyproject.toml, constraints.txt and its apt lists, and is re-installed only when that changes; a
# current `test` install also satisfies `serve`.
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${1:-test}"
case "$profile" in
  serve) lists=(apt-packages.txt); extras='.[serve]' ;;
  test)  lists=(apt-packages.txt apt-packages-test.txt); extras='.[all,dev]' ;;
  *) echo "setup: unknown profile '$profile' (serve or test)" >&2; exit 2 ;;
esac

stamp_of() { echo ".venv/.ocrgate-installed-$1"; }
hash_of() {  # pyproject.toml, constraints.txt and the apt lists of profile $1
  local files=(pyproject.toml constraints.txt apt-packages.txt)
  [ "$1" = test ] && files+=(apt-packages-test.txt)
  cat "${files[@]}" | sha256sum | cut -c1-16
}
current() { [ -x .venv/bin/python ] && [ "$(cat "$(stamp_of "$1")" 2>/dev/null)" = "$(hash_of "$1")" ]; }

if current "$profile" || { [ "$profile" = serve ] && current test; }; then
  exit 0
fi

mapfile -t wanted < <(cat "${lists[@]}" | grep -v '^\s*#' | grep -v '^\s*$')
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
echo "setup: pip install -e '$extras' into .venv ($profile)" >&2
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -c constraints.txt -e "$extras"
hash_of "$profile" > "$(stamp_of "$profile")"
rm -f .venv/.ocrgate-installed  # the single stamp of the days before profiles
