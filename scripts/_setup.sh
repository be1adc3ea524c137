# Sourced by scripts/demo and scripts/test: run from the project root with .venv set up and current.
# Needs only Python 3.11+ on the machine; set PYTHON=/path/to/python3.x to choose one.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if [ ! -x .venv/bin/python ]; then
  if ! PY="$(find_python)"; then
    echo "error: Python 3.11 or newer is needed (none found on PATH; set PYTHON=/path/to/python3.11)." >&2
    exit 1
  fi
  echo "==> Creating .venv with $("$PY" --version)"
  "$PY" -m venv .venv
fi

# Install again only when pyproject.toml is newer than the last successful install.
if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
  echo "==> Installing the project and its dependencies into .venv (a minute or two the first time)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
  touch .venv/.installed
fi

export PATH="$ROOT/.venv/bin:$PATH"
