#!/usr/bin/env bash
# The two commands of the README:
#   ./manage.sh run    set everything up, load the demo data, run web + worker + beat
#   ./manage.sh test   set everything up and run the whole test suite
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
VENV=.venv
PORT="${PORT:-5000}"

setup() {
  local extras="$1"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "== creating the virtual environment ($PYTHON)"
    "$PYTHON" -m venv "$VENV"
  fi
  # Reinstall only when the dependencies changed.
  local stamp="$VENV/.installed-$extras-$(sha256sum pyproject.toml | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    echo "== installing LANET and its dependencies"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e ".[$extras]"
    touch "$stamp"
  fi
  "$VENV/bin/pybabel" compile -q -d lanet/translations 2>/dev/null || "$VENV/bin/pybabel" compile -d lanet/translations
}

run() {
  setup "run"
  export PATH="$PWD/$VENV/bin:$PATH"
  export BASE_URL="${BASE_URL:-http://127.0.0.1:$PORT}"
  # The demo on one machine: the mail folder's pages, the demo accounts and their password
  # on the sign-in page. Nothing else switches these on.
  export LANET_DEV_PAGES="${LANET_DEV_PAGES:-1}"
  flask --app wsgi db upgrade
  flask --app wsgi seed demo
  echo
  echo "LANET is running at http://127.0.0.1:$PORT  (mail folder: http://127.0.0.1:$PORT/dev/mail/)"
  echo "Press Ctrl+C to stop web, worker and beat."
  echo
  PORT="$PORT" exec honcho start -f Procfile.dev
}

test_suite() {
  setup "test"
  export PATH="$PWD/$VENV/bin:$PATH"
  ruff check . && ruff format --check .
  # Imports point down the layers only (pyproject.toml, docs/architecture.md).
  lint-imports
  if python -m tests.services; then
    echo "== test suite on PostgreSQL and Redis"
    LANET_TEST_DB=postgres pytest "$@"
    echo "== test suite on SQLite (the embedded default)"
    LANET_TEST_DB=sqlite pytest -m "not services and not e2e and not slow" -q "$@"
  else
    if [ "${LANET_REQUIRE_SERVICES:-}" = "1" ]; then
      echo "PostgreSQL and Redis are required (LANET_REQUIRE_SERVICES=1) but cannot be reached." >&2
      exit 1
    fi
    echo "== PostgreSQL or Redis unreachable: test suite on SQLite only"
    LANET_TEST_DB=sqlite pytest -m "not services" "$@"
  fi
}

case "${1:-}" in
  run) shift; run "$@" ;;
  test) shift; test_suite "$@" ;;
  setup) setup "${2:-test}" ;;
  bench) shift; setup "test"; "$VENV/bin/python" bench/run.py "$@" ;;
  *) echo "usage: ./manage.sh run | test [pytest args] | bench [--only NAME] [--quick]" >&2; exit 2 ;;
esac
