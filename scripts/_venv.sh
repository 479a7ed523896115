# Sourced by scripts/serve and scripts/test: make .venv and install the hub into it when needed.
# Usage: ensure_venv [extras]   (e.g. ensure_venv dev)
ensure_venv() {
  local extras="${1:-}"
  local python="${HUB_PYTHON:-python3}"
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "error: the hub needs Python 3.11 or newer; '$python' is $("$python" --version 2>&1 || echo missing)." >&2
    echo "       Install it (e.g. apt-get install python3.11 python3.11-venv) or set HUB_PYTHON." >&2
    exit 1
  fi
  if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv with $("$python" --version)"
    "$python" -m venv .venv
  fi
  # Reinstall only when pyproject.toml or the extras changed since the last install.
  local stamp=".venv/.hub-installed"
  local want
  want="$(sha256sum pyproject.toml | cut -d' ' -f1) ${extras}"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || ! .venv/bin/python -c 'import hub' 2>/dev/null; then
    echo "==> installing the hub${extras:+ with [$extras]} into .venv"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".${extras:+[$extras]}"
    echo "$want" > "$stamp"
  fi
}
