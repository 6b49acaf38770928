#!/usr/bin/env bash
# The Debian package: cpack builds it from this build tree; its Depends are runtime libraries
# only (no -dev package, no database server); `dpkg -i` installs it, after which ghl-backfill
# --version, `man -w ghl-backfill`, the bash completion, the README and a stage run from the
# installed paths work; `dpkg -r` removes it again. Needs root, dpkg-dev and man-db (tools/
# install-deps test installs them): a missing tool fails the test, naming its package.
source "$GHLB_SRC/tests/e2e/lib.sh"
e2e_init cli_deb
[[ $(id -u) -eq 0 ]] || e2e_fail "dpkg -i needs root: run the tests as root"
command -v cpack >/dev/null || e2e_fail "cpack not found: install the Debian package cmake"
command -v dpkg-shlibdeps >/dev/null || e2e_fail "dpkg-shlibdeps not found: install the Debian package dpkg-dev"
command -v man >/dev/null || e2e_fail "man not found: install the Debian package man-db"
if dpkg-query -W -f='${Status}' ghl-backfill 2>/dev/null | grep -q "install ok installed"; then
  e2e_fail "a ghl-backfill package is already installed: remove it first (dpkg -r ghl-backfill)"
fi

build="$GHLB_BIN/.."
pkgdir="$E2E_DIR/pkg"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$pkgdir" >"$E2E_DIR/cpack.log" 2>&1 \
  || e2e_fail "cpack failed: $(tail -n 3 "$E2E_DIR/cpack.log" | tr '\n' ' ')"
deb=$(ls "$pkgdir"/ghl-backfill_*.deb 2>/dev/null | head -n 1)
[[ -n "$deb" ]] || e2e_fail "cpack made no ghl-backfill_*.deb"

depends=$(dpkg-deb -f "$deb" Depends)
for lib in libpqxx libsqlite3 libcurl; do
  grep -q "$lib" <<<"$depends" || e2e_fail "Depends lacks $lib: $depends"
done
if grep -Eq -- '-dev|postgresql( |,|$)' <<<"$depends"; then e2e_fail "Depends holds a -dev package or a server: $depends"; fi
dpkg-deb -c "$deb" >"$E2E_DIR/contents"
for f in ./usr/bin/ghl-backfill ./usr/bin/ghl-sim ./usr/libexec/ghl-backfill/extract \
         ./usr/libexec/ghl-backfill/fetch ./usr/libexec/ghl-backfill/plan ./usr/libexec/ghl-backfill/apply \
         ./usr/share/man/man1/ghl-backfill.1 ./usr/share/bash-completion/completions/ghl-backfill \
         ./usr/share/doc/ghl-backfill/README.md ./usr/lib/systemd/system/ghl-backfill.service \
         ./usr/lib/systemd/system/ghl-backfill.timer ./usr/share/doc/ghl-backfill/examples/cron/ghl-backfill; do
  grep -q " $f\$" "$E2E_DIR/contents" || e2e_fail "the package lacks $f"
done

removed=0
remove_pkg() { [[ $removed -eq 1 ]] || dpkg -r ghl-backfill >/dev/null 2>&1 || true; removed=1; }
trap 'rc=$?; remove_pkg; (exit $rc); _e2e_on_exit' EXIT
dpkg -i "$deb" >"$E2E_DIR/dpkg.log" 2>&1 || e2e_fail "dpkg -i failed: $(tail -n 3 "$E2E_DIR/dpkg.log" | tr '\n' ' ')"

GHLB_BIN=/usr/bin
gb_raw --version; assert_rc 0 "installed ghl-backfill --version"
grep -qE '^ghl-backfill [0-9]+\.[0-9]+\.[0-9]+$' "$GB_OUT" || e2e_fail "--version of the installed binary"
assert_eq /usr/share/man/man1/ghl-backfill.1 "$(man -w ghl-backfill 2>/dev/null)" "man -w ghl-backfill"
MANWIDTH=100 man ghl-backfill 2>/dev/null >"$E2E_DIR/man.txt" || e2e_fail "man ghl-backfill failed"
for stage in extract fetch plan apply run status review; do assert_contains "$E2E_DIR/man.txt" "ghl-backfill $stage"; done
assert_contains "$E2E_DIR/man.txt" "--per-location-burst-per-10s"
( source /usr/share/bash-completion/completions/ghl-backfill
  COMP_WORDS=(ghl-backfill ex); COMP_CWORD=1; _ghl_backfill
  [[ "${COMPREPLY[*]}" == "extract" ]] ) || e2e_fail "the installed completion does not complete 'ex'"
cmp -s "$GHLB_SRC/README.md" /usr/share/doc/ghl-backfill/README.md || e2e_fail "installed README differs"
# A stage through the installed dispatcher and libexec.
e2e_load_sql "$GHLB_SRC/tests/e2e/data/guards.sql"
gb extract; assert_rc 0 "extract from the installed package"

remove_pkg
[[ ! -e /usr/bin/ghl-backfill ]] || e2e_fail "dpkg -r left /usr/bin/ghl-backfill"
# The README's first screen: the demo, the tests, and installing the package.
head -n 8 "$GHLB_SRC/README.md" >"$E2E_DIR/readme-top"
for w in "make demo" "make test" "make deb" "dpkg -i"; do assert_contains "$E2E_DIR/readme-top" "$w"; done
assert_no_pii
e2e_pass
