#!/usr/bin/env bash
# ctest FIXTURES_CLEANUP: stops the cluster at $GHLB_PG_DIR. Its files stay for a post-mortem
# until the next pg_fixture_start replaces them.
set -euo pipefail
: "${GHLB_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
[[ -n "${GHLB_PG_DIR:-}" ]] || { echo "pg_fixture_stop: GHLB_PG_DIR is not set" >&2; exit 1; }
"$GHLB_SRC/tools/pg-cluster" stop "$GHLB_PG_DIR"
