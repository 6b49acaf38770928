#!/usr/bin/env bash
# The README's "reviewed rollout" walkthrough, run as written (the block after the
# "<!-- walkthrough -->" marker): only the directory is this test's, and apply and revert get
# --yes (no terminal here). Checks the figures the README states after the block.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init readme_walkthrough
# Not inside $E2E_DIR (0700): the cluster runs as postgres, which must reach its directory.
dir=$(mktemp -u /tmp/ghlb-walk.XXXXXX)
trap '"$GHLB_SRC/tools/demo-env" stop "$dir" >/dev/null 2>&1 || true; _e2e_on_exit' EXIT
block=$(awk '/^<!-- walkthrough -->$/ { on = 1; next } on && /^```sh$/ { inside = 1; next }
             inside && /^```$/ { exit } inside { print }' "$GHLB_SRC/README.md")
[[ $(wc -l <<<"$block") -ge 10 ]] || e2e_fail "no walkthrough block found in README.md"
script="$E2E_DIR/walkthrough.sh"
{
  echo "set -u"
  echo "unset GHL_BACKFILL_STRATEGY  # as a user runs it: the default strategy (auto)"
  echo "cd '$GHLB_SRC'"
  while IFS= read -r line; do
    line=$(sed -e 's/[[:space:]]\{2,\}#.*$//' -e "s#/tmp/ghlb-walk#$dir#g" <<<"$line")
    case "$line" in
      *"tools/demo-env start"*) line="${line%)\"}" line+=" '$GHLB_BIN/..')\"" ;;
      "ghl-backfill apply"* | "ghl-backfill revert"*) line+=" --yes" ;;
    esac
    # Each command's output and exit status, in order, for the checks below (the label is the
    # command with quotes and $ taken out, so that echoing it runs nothing).
    label=$(tr -d "\"'\$\`" <<<"$line")
    printf '{ %s ; } >>"%s/out" 2>>"%s/err"; echo "$? %s" >>"%s/rc"\n' "$line" "$E2E_DIR" "$E2E_DIR" \
      "$label" "$E2E_DIR"
  done <<<"$block"
} >"$script"
: >"$E2E_DIR/out"; : >"$E2E_DIR/err"; : >"$E2E_DIR/rc"
bash "$script" || e2e_fail "the walkthrough script failed (see $script)"
cat "$E2E_DIR/out" "$E2E_DIR/err" >>"$E2E_DIR/all-output.log"
# Every command succeeded (the first fetch may end 3: retried by the second).
bad=$(awk '$1 != 0 && !($1 == 3 && /fetch/)' "$E2E_DIR/rc")
[[ -z "$bad" ]] || e2e_fail "walkthrough commands failed: $bad"
assert_eq 0 "$(awk '/detailed-exitcode/ { print $1 }' "$E2E_DIR/rc")" "the last plan: nothing left to write"
assert_eq 12 "$(wc -l <"$E2E_DIR/rc")" "every command of the block ran"
assert_contains "$E2E_DIR/out" "wave 1: wrote 54 values"
assert_contains "$E2E_DIR/out" "revert wave 1: restored 54 values"
assert_contains "$E2E_DIR/out" "wave 2: wrote 867 values"
assert_contains "$E2E_DIR/out" "Rejected in review, never written: 14 values"
assert_contains "$E2E_DIR/out" "14 changes changed state"
assert_contains "$E2E_DIR/err" "report written (emails and phones masked)"
[[ ! -e "$dir" ]] || e2e_fail "demo-env stop left $dir behind"
assert_no_pii
e2e_pass
