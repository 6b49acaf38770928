#!/usr/bin/env bash
# A bad flag value that came from the environment or the config file is reported with where it
# came from (the operator never typed the flag), in the tool's own words, exit 2.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init cli_flag_origin
gb extract; assert_rc 0 "extract of an empty application database"

GHL_BACKFILL_CONCURRENCY=abc gb fetch
assert_rc 2 "a non-number from the environment"
assert_contains "$GB_ERR" "--concurrency abc: not a valid value (set by environment variable GHL_BACKFILL_CONCURRENCY)"
assert_not_contains "$GB_ERR" "Could not convert"

gb fetch --concurrency abc
assert_rc 2 "a non-number on the command line"
assert_contains "$GB_ERR" "--concurrency abc: not a valid value (see --help)"

GHL_REQUESTS_PER_10S=450 gb fetch
assert_rc 2 "an out-of-range value from the legacy variable"
assert_contains "$GB_ERR" "(set by environment variable GHL_REQUESTS_PER_10S)"

GHL_MAX_429_RETRIES=-1 gb fetch
assert_rc 2 "the replaced script's retry variable is honoured as --max-retries"
assert_contains "$GB_ERR" "--max-retries"
assert_contains "$GB_ERR" "(set by environment variable GHL_MAX_429_RETRIES)"

printf 'concurrency = 999\n' >"$E2E_DIR/c.toml"
gb fetch --config "$E2E_DIR/c.toml"
assert_rc 2 "an out-of-range value from the config file"
assert_contains "$GB_ERR" "--concurrency 999: must be from 1 to 256 (set in the config file)"

# Typed on the command line, the value's origin is obvious: no note.
GHL_BACKFILL_CONCURRENCY=5 gb fetch --concurrency 999
assert_rc 2 "the command line wins over the environment"
assert_not_contains "$GB_ERR" "set by environment"
assert_no_pii
e2e_pass
