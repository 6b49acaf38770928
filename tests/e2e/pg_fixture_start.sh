#!/usr/bin/env bash
# ctest FIXTURES_SETUP: a fresh throwaway PostgreSQL cluster at $GHLB_PG_DIR for the e2e tests.
# A cluster left there by an interrupted run is stopped and deleted first.
set -euo pipefail
: "${GHLB_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
[[ -n "${GHLB_PG_DIR:-}" ]] || { echo "pg_fixture_start: GHLB_PG_DIR is not set" >&2; exit 1; }
"$GHLB_SRC/tools/pg-cluster" destroy "$GHLB_PG_DIR"
"$GHLB_SRC/tools/pg-cluster" start "$GHLB_PG_DIR"
