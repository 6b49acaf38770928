#!/usr/bin/env bash
# The installed layout and the command line: `cmake --install` puts only ghl-backfill (and the
# simulator) on PATH and the stages in libexec/ghl-backfill, the dispatcher runs them the way git
# runs its helpers, every command answers --help and --version, usage errors exit 2, and
# --log-format json gives one JSON object per line.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init cli
prefix="$E2E_DIR/prefix"
cmake --install "$GHLB_BIN/.." --prefix "$prefix" >"$E2E_DIR/install.log" 2>&1 || e2e_fail "cmake --install failed"
assert_eq "ghl-backfill ghl-sim" "$(ls "$prefix/bin" | tr '\n' ' ' | sed 's/ $//')" "what lands on PATH"
assert_eq "apply extract fetch plan revert" "$(ls "$prefix/libexec/ghl-backfill" | tr '\n' ' ' | sed 's/ $//')" "the stages in libexec"

GHLB_BIN="$prefix/bin"
gb_raw --version; assert_rc 0 "--version"
grep -qE '^ghl-backfill [0-9]+\.[0-9]+\.[0-9]+$' "$GB_OUT" || e2e_fail "--version prints the version"
gb_raw --help; assert_rc 0 "--help"
for word in extract fetch plan apply revert run status; do assert_contains "$GB_OUT" "  $word"; done
for stage in extract fetch plan apply revert run status; do
  gb_raw "$stage" --help; assert_rc 0 "$stage --help"
  assert_contains "$GB_OUT" "--work-db"
  assert_contains "$GB_OUT" "--client-id"
  gb_raw "$stage" --version; assert_rc 0 "$stage --version"
  gb_raw "$stage" --bogus; assert_rc 2 "$stage --bogus"
  assert_eq 1 "$(wc -l <"$GB_ERR")" "$stage usage error is one line"
done
gb_raw; assert_rc 2 "no command"
gb_raw nonsense; assert_rc 2 "unknown command"

# A stage run through the installed dispatcher, logging JSON lines on stderr.
e2e_load_sql "$GHLB_SRC/tests/e2e/data/guards.sql"
gb extract --log-format json; assert_rc 0 "extract with JSON logs"
[[ -s "$GB_ERR" ]] || e2e_fail "no JSON log lines"
while IFS= read -r line; do
  [[ "$line" == \{*\} ]] || e2e_fail "not a JSON object line on stderr: ${line:0:40}"
  grep -q '"program":"ghl-backfill extract"' <<<"$line" || e2e_fail "a JSON log line without the program name"
done <"$GB_ERR"
gb extract --quiet; assert_rc 0 "extract --quiet"
[[ ! -s "$GB_ERR" ]] || e2e_fail "--quiet still logged"
gb status; assert_rc 0 "status"
assert_contains "$GB_OUT" "client-g"
assert_no_pii
e2e_pass
