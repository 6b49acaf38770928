#!/usr/bin/env bash
# Help and configuration as an operator meets them: `help STAGE` and `STAGE --help` print the
# stage's own flags with word types; a near-miss command or flag gets "did you mean"; every flag
# comes from a flag, GHL_BACKFILL_<FLAG>, ./ghl-backfill.toml, --config or the XDG config file,
# in that precedence; a database password in the config file is refused; a missing work DB is
# named with its absolute path; the generated man page and completion cover every flag.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init cli_help_config
export HOME="$E2E_DIR/home" XDG_CONFIG_HOME=""
mkdir -p "$HOME"
unset XDG_CONFIG_HOME
cd "$E2E_DIR"

# ---- help -------------------------------------------------------------------------------------
for stage in extract fetch plan apply run status; do
  gb_raw help "$stage"; assert_rc 0 "help $stage"
  cp "$GB_OUT" "$E2E_DIR/help-$stage"
  assert_contains "$GB_OUT" "Usage: ghl-backfill $stage"
  gb_raw "$stage" --help; assert_rc 0 "$stage --help"
  cmp -s "$GB_OUT" "$E2E_DIR/help-$stage" || e2e_fail "help $stage and $stage --help differ"
  assert_not_contains "$GB_OUT" "ENUM"
  assert_not_contains "$GB_OUT" "->"
  assert_contains "$GB_OUT" "--work-db FILE"
  assert_contains "$GB_OUT" "--log-format text|json"
  assert_contains "$GB_OUT" "GHL_BACKFILL_WORK_DB"
  assert_contains "$GB_OUT" "flag > environment > config file > default"
done
assert_contains "$E2E_DIR/help-fetch" "--concurrency N"
assert_not_contains "$E2E_DIR/help-extract" "--concurrency"
assert_contains "$E2E_DIR/help-plan" "--json"
assert_contains "$E2E_DIR/help-status" "--json"
gb_raw help nonsense; assert_rc 2 "help of an unknown command"

# ---- suggestions ------------------------------------------------------------------------------
gb_raw fecth; assert_rc 2 "typo in a command"
assert_contains "$GB_ERR" "did you mean 'fetch'?"
assert_eq 1 "$(wc -l <"$GB_ERR")" "one line for a typo"
gb_raw stauts; assert_rc 2; assert_contains "$GB_ERR" "did you mean 'status'?"
gb_raw frobnicate; assert_rc 2; assert_not_contains "$GB_ERR" "did you mean"
gb_raw fetch --concurency 3; assert_rc 2 "typo in a flag"
assert_contains "$GB_ERR" "did you mean --concurrency?"
assert_eq 1 "$(wc -l <"$GB_ERR")" "one line for a flag typo"
gb_raw status --wrok-db=x.db; assert_rc 2; assert_contains "$GB_ERR" "did you mean --work-db?"
gb_raw plan --jsno; assert_rc 2; assert_contains "$GB_ERR" "did you mean --json?"
gb_raw plan --xyzzy-frob; assert_rc 2; assert_not_contains "$GB_ERR" "did you mean"

# ---- where the work DB comes from: the error names the absolute path looked at -----------------
unset WORK_DB_SAVED
wd() {  # the work DB path `status` looked at
  sed -n 's/.*work DB \(\/[^ ]*\) does not exist.*/\1/p' "$GB_ERR"
}
gb_raw status; assert_rc 1 "status without a work DB"
assert_eq "$E2E_DIR/ghl-backfill.db" "$(wd)" "default work DB, absolute"
assert_contains "$GB_ERR" "GHL_BACKFILL_WORK_DB"
mkdir -p "$HOME/.config/ghl-backfill"
printf 'work-db = "%s/xdg.db"\n' "$E2E_DIR" >"$HOME/.config/ghl-backfill/config.toml"
gb_raw status; assert_rc 1; assert_eq "$E2E_DIR/xdg.db" "$(wd)" "~/.config/ghl-backfill/config.toml"
mkdir -p "$E2E_DIR/xdg2/ghl-backfill"
printf 'work_db = "%s/xdg2.db"\n' "$E2E_DIR" >"$E2E_DIR/xdg2/ghl-backfill/config.toml"
XDG_CONFIG_HOME="$E2E_DIR/xdg2" gb_raw status; assert_rc 1
assert_eq "$E2E_DIR/xdg2.db" "$(wd)" "\$XDG_CONFIG_HOME/ghl-backfill/config.toml (underscore key)"
printf '# local\nwork-db = "file.db"\n[fetch]\nwork-db = "fetch-only.db"\n' >ghl-backfill.toml
gb_raw status; assert_rc 1; assert_eq "$E2E_DIR/file.db" "$(wd)" "./ghl-backfill.toml beats the XDG file"
printf '[status]\nwork-db = "section.db"\n' >"$E2E_DIR/other.toml"
gb_raw status --config "$E2E_DIR/other.toml"; assert_rc 1
assert_eq "$E2E_DIR/section.db" "$(wd)" "--config FILE, with a [status] section"
GHL_BACKFILL_WORK_DB=env.db gb_raw status; assert_rc 1; assert_eq "$E2E_DIR/env.db" "$(wd)" "env beats the file"
GHL_BACKFILL_WORK_DB=env.db gb_raw status --work-db flag.db; assert_rc 1
assert_eq "$E2E_DIR/flag.db" "$(wd)" "flag beats env"
gb_raw status --config "$E2E_DIR/missing.toml"; assert_rc 2 "a missing --config file"
assert_contains "$GB_ERR" "missing.toml"

# Numbers and the stages' own validation, from each source.
gb_raw fetch --work-db "$E2E_DIR/none.db"; assert_rc 1
printf 'concurrency = 0\n' >ghl-backfill.toml
: >"$E2E_DIR/empty.db"
gb_raw fetch --work-db "$E2E_DIR/empty.db"; assert_rc 2 "concurrency 0 from the file"
assert_contains "$GB_ERR" "--concurrency"
GHL_BACKFILL_CONCURRENCY=4 GHL_BACKFILL_MAX_RETRIES=-1 gb_raw fetch --work-db "$E2E_DIR/empty.db"
assert_rc 2 "env overrides the file's concurrency, and its own bad value is seen"
assert_contains "$GB_ERR" "--max-retries"
GHL_BACKFILL_CONCURRENCY=0 gb_raw fetch --work-db "$E2E_DIR/empty.db" --concurrency 4 --max-retries -1
assert_rc 2; assert_contains "$GB_ERR" "--max-retries"
printf 'not toml at all [[[\n' >ghl-backfill.toml
gb_raw status; assert_rc 2 "a config file that does not parse"

# ---- passwords never in the config file -------------------------------------------------------
for line in 'database-url = "postgresql://app:Sup3rSecret@db.example/app"' \
            'database_url = "host=db user=app password=Sup3rSecret"' \
            'password = "Sup3rSecret"' \
            '[apply]' ; do
  if [[ "$line" == '[apply]' ]]; then line=$'[apply]\npassword = "Sup3rSecret"'; fi
  printf '%s\n' "$line" >ghl-backfill.toml
  gb_raw extract; assert_rc 2 "password in the config file: $line"
  assert_eq 1 "$(wc -l <"$GB_ERR")" "one line"
  assert_contains "$GB_ERR" "~/.pgpass"
  assert_not_contains "$GB_ERR" "Sup3rSecret"
  [[ ! -e ghl-backfill.db ]] || e2e_fail "a work DB was created"
done
printf 'database-url = "postgresql://app@db.example/app?sslmode=require"\n' >ghl-backfill.toml
gb_raw status; assert_rc 1 "a URL without a password is fine in the file"
rm -f ghl-backfill.toml "$HOME/.config/ghl-backfill/config.toml"

# ---- the legacy variables still work, and GHL_BACKFILL_* beats them ---------------------------
gb_raw extract --work-db "$E2E_DIR/legacy.db"; assert_rc 0 "DATABASE_URL"
GHL_BACKFILL_DATABASE_URL="postgresql://postgres@127.0.0.1:1/nope" gb_raw extract --work-db "$E2E_DIR/legacy.db"
assert_rc 1 "GHL_BACKFILL_DATABASE_URL beats DATABASE_URL"
assert_contains "$GB_ERR" "connection refused"

# ---- man page and completion, generated from the same definitions -----------------------------
gb_raw --generate-man; assert_rc 0
cp "$GB_OUT" "$E2E_DIR/man.1"
gb_raw --generate-bash-completion; assert_rc 0
cp "$GB_OUT" "$E2E_DIR/completion.bash"
for stage in extract fetch plan apply run status; do
  assert_contains "$E2E_DIR/man.1" ".SS \"ghl\\-backfill $stage\""
  gb_raw "$stage" --help
  for flag in $(grep -o -- '^  --[a-z0-9-]*' "$GB_OUT" | sed 's/^  //' | sort -u); do
    [[ "$flag" == --help ]] && continue
    grep -qF -- "$(sed 's/-/\\-/g' <<<"$flag")" "$E2E_DIR/man.1" || e2e_fail "man page lacks $flag of $stage"
    grep -qF -- "$flag" "$E2E_DIR/completion.bash" || e2e_fail "completion lacks $flag of $stage"
  done
done
bash -n "$E2E_DIR/completion.bash" || e2e_fail "the completion script does not parse"
( source "$E2E_DIR/completion.bash"
  COMP_WORDS=(ghl-backfill fetch --concu); COMP_CWORD=2; _ghl_backfill
  [[ "${COMPREPLY[*]}" == "--concurrency" ]] ) || e2e_fail "completion of 'fetch --concu'"
assert_no_pii
e2e_pass
