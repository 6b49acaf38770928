#!/usr/bin/env bash
# The scheduling examples (issue 11): data/systemd/ghl-backfill.{service,timer} and
# data/cron/ghl-backfill. Checks
#  - the units with `systemd-analyze verify` (no warning at all; a broken copy must be caught, so
#    the check itself can fail), and the timing that keeps runs apart: the run's --time-budget plus
#    the timer's random delay below the timer's interval, the hard stop (TimeoutStartSec) between
#    the budget and the interval, Persistent=true, exit 3 counted as success;
#  - the cron file with a small parser (five time fields in range, a user, a command), the same
#    budget-below-interval rule, and flock;
#  - both commands, run as written (paths moved into the test's directory), against the demo: a
#    real run (exit 0 or 3, metrics written), and skipped while another holder has the lock.
# Without systemd-analyze (not every CI image has systemd) the unit files get the key checks
# below only, and the test says so on stderr; here systemd-analyze is required by default.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init unattended_schedule
e2e_load_sql "$GHLB_SRC/data/demo/app.sql"
e2e_start_sim "$GHLB_SRC/data/demo/ghl-sim.json"
svc="$GHLB_SRC/data/systemd/ghl-backfill.service"
tmr="$GHLB_SRC/data/systemd/ghl-backfill.timer"
cronf="$GHLB_SRC/data/cron/ghl-backfill"
for f in "$svc" "$tmr" "$cronf"; do [[ -r "$f" ]] || e2e_fail "missing $f"; done

# seconds DURATION: systemd/ghl-backfill time spans (45m, 5min, 1h30m, 90s, 2h) in seconds.
seconds() {
  local s=$1 total=0 n u
  [[ "$s" =~ ^([0-9]+(s|sec|m|min|h|d))+$ ]] || e2e_fail "not a time span: '$s'"
  while [[ "$s" =~ ^([0-9]+)(sec|min|s|m|h|d)(.*)$ ]]; do
    n=${BASH_REMATCH[1]} u=${BASH_REMATCH[2]} s=${BASH_REMATCH[3]}
    case "$u" in s|sec) total=$((total + n)) ;; m|min) total=$((total + n * 60)) ;;
                 h) total=$((total + n * 3600)) ;; d) total=$((total + n * 86400)) ;; esac
  done
  echo "$total"
}
# key FILE NAME: the value of NAME= in a unit file (last one wins, as in systemd).
key() { sed -n "s/^$2=//p" "$1" | tail -n 1; }
# The ExecStart command line, continuation lines joined.
exec_start=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$svc" | sed -n 's/^ExecStart=//p' | tr -s ' ')
budget_of() { sed -n 's/.*--time-budget \([0-9a-z]*\).*/\1/p' <<<"$1"; }

# ---- systemd-analyze verify ----------------------------------------------------------------------
units="$E2E_DIR/units"; mkdir -p "$units"
cp "$svc" "$tmr" "$units/"
if command -v systemd-analyze >/dev/null; then
  # --man=no: the man page the units point at is installed by the package, not here.
  verify() { (cd "$1" && systemd-analyze verify --man=no ./ghl-backfill.service ./ghl-backfill.timer) >"$E2E_DIR/verify.out" 2>&1; }
  verify "$units" || e2e_fail "systemd-analyze verify: $(head -n 3 "$E2E_DIR/verify.out" | tr '\n' ' ')"
  [[ ! -s "$E2E_DIR/verify.out" ]] || e2e_fail "systemd-analyze verify warns: $(head -n 3 "$E2E_DIR/verify.out" | tr '\n' ' ')"
  # The check catches a broken unit (systemd-analyze reports "ignoring" lines with exit 0).
  mkdir -p "$E2E_DIR/broken"; cp "$units"/* "$E2E_DIR/broken/"
  sed -i 's/^Type=oneshot/Type=oneshots/' "$E2E_DIR/broken/ghl-backfill.service"
  verify "$E2E_DIR/broken" || true
  grep -q "oneshots" "$E2E_DIR/verify.out" || e2e_fail "systemd-analyze verify did not report a broken Type="
  systemd-analyze calendar "$(key "$tmr" OnCalendar)" >/dev/null 2>&1 || e2e_fail "OnCalendar does not parse"
else
  [[ "${GHLB_REQUIRE_SYSTEMD_ANALYZE:-1}" == 0 ]] \
    || e2e_fail "systemd-analyze not found (Debian package systemd); GHLB_REQUIRE_SYSTEMD_ANALYZE=0 checks the keys only"
  echo "e2e unattended_schedule: NOTE: systemd-analyze not found: the unit files got the key checks only" >&2
fi

# ---- the keys that keep runs apart ---------------------------------------------------------------
assert_eq oneshot "$(key "$svc" Type)" "Type"
assert_eq true "$(key "$tmr" Persistent)" "Persistent"
assert_eq ghl-backfill.service "$(key "$tmr" Unit)" "the timer's unit"
[[ "$(key "$svc" EnvironmentFile)" == /etc/ghl-backfill/env ]] || e2e_fail "EnvironmentFile"
grep -qw 3 <<<"$(key "$svc" SuccessExitStatus)" || e2e_fail "exit 3 (work remains) must be a success for systemd"
[[ "$exec_start" == "/usr/bin/flock --nonblock "* ]] || e2e_fail "ExecStart does not take the run lock first: $exec_start"
grep -q -- "run --apply --yes --time-budget" <<<"$exec_start" || e2e_fail "ExecStart is not the unattended unit"
case "$(key "$tmr" OnCalendar)" in
  hourly) interval=3600 ;; daily) interval=86400 ;; *) e2e_fail "OnCalendar: expected hourly or daily" ;;
esac
budget=$(seconds "$(budget_of "$exec_start")")
delay=$(seconds "$(key "$tmr" RandomizedDelaySec)")
hard=$(seconds "$(key "$svc" TimeoutStartSec)")
((budget > 0 && budget + delay < interval)) || e2e_fail "systemd: budget $budget s + delay $delay s not below the interval $interval s"
((budget < hard && hard + delay <= interval)) || e2e_fail "systemd: TimeoutStartSec $hard s not between the budget and the interval"

# ---- the cron line ------------------------------------------------------------------------------
# field VALUE MIN MAX: a cron time field (*, N, N-M, */S, N-M/S, comma lists) within MIN..MAX.
field() {
  local part lo hi
  IFS=',' read -ra parts <<<"$1"
  for part in "${parts[@]}"; do
    [[ "$part" =~ ^(\*|([0-9]+)(-([0-9]+))?)(/([0-9]+))?$ ]] || return 1
    lo=${BASH_REMATCH[2]:-$2} hi=${BASH_REMATCH[4]:-${BASH_REMATCH[2]:-$3}}
    ((lo >= $2 && hi <= $3 && lo <= hi)) || return 1
    [[ -z "${BASH_REMATCH[6]}" ]] || ((BASH_REMATCH[6] > 0)) || return 1
  done
}
cron_line() {  # LINE -> checks one /etc/cron.d line, prints its command
  local min hour dom mon dow user cmd
  read -r min hour dom mon dow user cmd <<<"$1"
  field "$min" 0 59 && field "$hour" 0 23 && field "$dom" 1 31 && field "$mon" 1 12 && field "$dow" 0 7 \
    || { echo "bad time fields: $min $hour $dom $mon $dow" >&2; return 1; }
  [[ "$user" =~ ^[a-z_][a-z0-9_-]*$ && -n "$cmd" ]] || { echo "no user or command" >&2; return 1; }
  printf '%s\n' "$cmd"
}
# The parser refuses what cron refuses (so that it can fail).
for bad in "60 * * * * u c" "* 24 * * * u c" "*/0 * * * * u c" "5-1 * * * * u c" "7 * * * * u" "7 * * x * u c"; do
  if cron_line "$bad" >/dev/null 2>&1; then e2e_fail "the cron parser accepted '$bad'"; fi
done
mapfile -t jobs < <(grep -Ev '^[[:space:]]*(#|$)|^[A-Z_]+=' "$cronf")
assert_eq 1 "${#jobs[@]}" "one job line in the cron file"
cron_cmd=$(cron_line "${jobs[0]}") || e2e_fail "the cron line does not parse: ${jobs[0]}"
read -r cmin chour cdom cmon cdow cuser _ <<<"${jobs[0]}"
assert_eq ghl-backfill "$cuser" "the cron job's user"
[[ "$cmin" =~ ^[0-9]+$ && "$chour $cdom $cmon $cdow" == "* * * *" ]] || e2e_fail "the cron job is not hourly like the timer"
grep -q "flock -n " <<<"$cron_cmd" || e2e_fail "the cron job takes no lock"
cbudget=$(seconds "$(budget_of "$cron_cmd")")
((cbudget > 0 && cbudget < 3600)) || e2e_fail "cron: budget $cbudget s not below the hour between runs"
assert_eq "$budget" "$cbudget" "the cron job and the service use the same budget"

# ---- the README documents them ----------------------------------------------------------------
awk '/^## Unattended maintenance$/ { on = 1; next } on && /^## / { exit } on' "$GHLB_SRC/README.md" >"$E2E_DIR/readme"
[[ -s "$E2E_DIR/readme" ]] || e2e_fail "README.md has no 'Unattended maintenance' section"
for w in "run --apply --yes --time-budget $(budget_of "$exec_start")" "extract --incremental" "extract --full" \
         "fetch --recheck-not-found-after 7d" "--metrics-file" data/systemd/ghl-backfill.service \
         data/systemd/ghl-backfill.timer data/cron/ghl-backfill "systemctl enable --now ghl-backfill.timer" \
         "**3**" "**75**"; do
  assert_contains "$E2E_DIR/readme" "$w"
done

# ---- both commands, run as written --------------------------------------------------------------
state="$E2E_DIR/state"; mkdir -p "$state/metrics"
printf 'DATABASE_URL="%s"\nGHL_API_BASE="%s"\n' "$DATABASE_URL" "$GHL_API_BASE" >"$E2E_DIR/env"
relocate() { sed -e "s#/var/lib/ghl-backfill#$state#g" -e "s#/usr/bin/ghl-backfill#$GHLB_BIN/ghl-backfill#g" \
                 -e "s#/etc/ghl-backfill/env#$E2E_DIR/env#g" -e "s#logger -t ghl-backfill#cat#g" <<<"$1"; }
runs() { sqlite3 "$state/work.db" "SELECT count(*) FROM stage_run" 2>/dev/null || echo 0; }
svc_cmd=$(relocate "$exec_start")
rc=0
(set -a; . "$E2E_DIR/env"; set +a; cd "$state" && eval "$svc_cmd") >"$E2E_DIR/svc.out" 2>&1 || rc=$?
cat "$E2E_DIR/svc.out" >>"$E2E_DIR/all-output.log"
[[ $rc -eq 0 || $rc -eq 3 ]] || e2e_fail "the service's command: exit $rc: $(tail -n 2 "$E2E_DIR/svc.out")"
grep -q '^ghl_backfill_exit_code{command="run"} '"$rc"'$' "$state/metrics/ghl-backfill.prom" \
  || e2e_fail "the service's command left no metrics with its exit code"
[[ $(stat -c %a "$state/work.db") == 600 ]] || e2e_fail "work DB not private"
# While another holder has the lock, the run is skipped (75, a success for the unit) and nothing runs.
exec 9>"$state/run.lock"; flock -n 9 || e2e_fail "cannot take the lock for the test"
before=$(runs); rc=0
(cd "$state" && eval "$svc_cmd") >>"$E2E_DIR/all-output.log" 2>&1 || rc=$?
assert_eq 75 "$rc" "a run while the lock is held"
grep -qw 75 <<<"$(key "$svc" SuccessExitStatus)" || e2e_fail "a skipped run (75) must not fail the unit"
assert_eq "$before" "$(runs)" "no stage ran while the lock was held"
# The cron command: as /bin/sh runs it, its output to a file instead of syslog.
before=$(runs)
PATH="$GHLB_BIN:/usr/bin:/bin" sh -c "$(relocate "$cron_cmd")" >"$E2E_DIR/cron.out" 2>&1 || e2e_fail "the cron command failed"
assert_eq "$before" "$(runs)" "the cron job is skipped too while the lock is held"
exec 9>&-
PATH="$GHLB_BIN:/usr/bin:/bin" sh -c "$(relocate "$cron_cmd")" >"$E2E_DIR/cron.out" 2>&1 || e2e_fail "the cron command failed"
cat "$E2E_DIR/cron.out" >>"$E2E_DIR/all-output.log"
[[ $(runs) -gt $before ]] || e2e_fail "the cron command ran no stage: $(tail -n 2 "$E2E_DIR/cron.out")"
grep -q '^ghl_backfill_exit_code{command="run"} [03]$' "$state/metrics/ghl-backfill.prom" \
  || e2e_fail "the cron command's run did not end with 0 or 3"
assert_no_pii
e2e_pass
