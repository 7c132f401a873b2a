#!/usr/bin/env bash
# The packaging test: builds the Debian packages from an already built tree (CPack), runs lintian
# on them, installs both into a scratch root with dpkg (maintainer scripts included, run against
# $DPKG_ROOT), runs the installed sendsync there (and installs a bundled adapter from its signed
# package against the build key the package trusts; no package may hold a private key), builds the
# SDK's template adapter out of tree against the installed SDK and runs its conformance test, then
# purges both packages and checks that nothing is left but the service user (which Debian policy
# keeps) and a store the admin made.
# Usage: packaging_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/sendsync-packaging.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }
unset SENDSYNC_PLUGINS SENDSYNC_ADAPTER_HOST SENDSYNC_CONFIG SENDSYNC_DB

step "cpack"
(cd "$build" && cpack -G DEB -B "$work/pkgs" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack"; }
host_deb=$(ls "$work"/pkgs/sendsync_*.deb)
sdk_deb=$(ls "$work"/pkgs/sendsync-sdk-dev_*.deb)

step "control fields"
depends=$(dpkg-deb -f "$host_deb" Depends)
echo "Depends: $depends"
for lib in libpoco libc6 libstdc++6 libjemalloc; do
  grep -q "$lib" <<<"$depends" || fail "Depends of sendsync lacks $lib (dpkg-shlibdeps): $depends"
done
recommends=$(dpkg-deb -f "$host_deb" Recommends)
grep -q "libjs-chart.js" <<<"$recommends" ||
  fail "Recommends of sendsync lacks libjs-chart.js (the dashboard's charts): $recommends"
dpkg-deb -I "$host_deb" conffiles | grep -qx /etc/sendsync/sendsync.json ||
  fail "/etc/sendsync/sendsync.json is not a conffile"

step "no private key in any package"
# The bundled adapters are signed with a key made for the build (build/package-key/): only its
# public half may ship.
build_key=$build/package-key/vendor.key
[[ -f $build_key ]] || fail "no build signing key in $build/package-key (target adapter_packages)"
key_body=$(grep -v -- '-----' "$build_key")
for deb in "$host_deb" "$sdk_deb"; do
  x=$work/x/$(basename "$deb")
  mkdir -p "$x" && dpkg-deb -x "$deb" "$x"
  if grep -rlaF -e "PRIVATE KEY" -e "$key_body" "$x"; then fail "$(basename "$deb") holds a private key"; fi
done
shipped_pub=$work/x/$(basename "$host_deb")/etc/sendsync/trusted-keys/sendsync-build.pub
openssl pkey -pubin -in "$shipped_pub" -noout 2>/dev/null || fail "the shipped trusted key is not a public key"
cmp -s "$shipped_pub" "$build/package-key/vendor.pub" || fail "the shipped trusted key is not the build key's public half"
dpkg-deb -I "$host_deb" conffiles | grep -qx /etc/sendsync/trusted-keys/sendsync-build.pub ||
  fail "the build's trusted key is not a conffile"

step "lintian"
command -v lintian >/dev/null || fail "lintian is not installed (scripts/setup.sh --test)"
for deb in "$host_deb" "$sdk_deb"; do
  lintian --tag-display-limit 0 "$deb" >"$work/lintian.log" 2>&1 || true
  cat "$work/lintian.log"
  if grep -q '^E:' "$work/lintian.log"; then fail "lintian reports errors on $(basename "$deb")"; fi
done

step "install into a scratch root"
root=$work/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/etc"
: >"$root/var/lib/dpkg/status"
dpkg_root() {
  dpkg --root="$root" --force-script-chrootless --force-depends --force-not-root \
    --log=/dev/null "$@"
}
dpkg_root -i "$host_deb" "$sdk_deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i"; }
grep -q '^sendsync:' "$root/etc/passwd" || fail "the postinst made no sendsync user"
[[ $(stat -c %a "$root/var/lib/sendsync") == 700 ]] || fail "/var/lib/sendsync is not 0700"
for f in usr/bin/sendsync usr/lib/sendsync/sendsync-adapter-host usr/share/man/man1/sendsync.1.gz \
  usr/share/bash-completion/completions/sendsync lib/systemd/system/sendsync.service \
  usr/share/sendsync/web/index.html usr/share/doc/sendsync/server.md \
  etc/sendsync/trusted-keys/sendsync-build.pub; do
  [[ -e $root/$f ]] || fail "/$f is not installed"
done
for id in ctf csv mis-api la-portal jsonl-folder; do
  [[ -f $root/usr/share/sendsync/adapter-packages/$id.sendsync-adapter ]] ||
    fail "the signed package of bundled adapter $id is not installed"
done
grep -q '^ReadWritePaths=/var/lib/sendsync' "$root/lib/systemd/system/sendsync.service" ||
  fail "the unit has no ReadWritePaths= for its state folder"

step "run the installed sendsync"
"$root/usr/bin/sendsync" version | tee "$work/version.txt"
grep -q "^sendsync " "$work/version.txt" || fail "sendsync version"
# Finds its bundled adapters and its worker (which validates each) where the package put them.
"$root/usr/bin/sendsync" plugins list --json >"$work/plugins.json" || fail "sendsync plugins list"
grep -q "\"plugin_dir\": \"$root/usr/lib/sendsync/plugins\"" "$work/plugins.json" ||
  fail "plugins list did not use the installed plugin folder: $(head -3 "$work/plugins.json")"
for id in ctf csv mis-api la-portal jsonl-folder; do
  grep -q "\"id\": \"$id\"" "$work/plugins.json" || fail "bundled adapter $id not listed"
done
grep -q '"status": "refused"' "$work/plugins.json" && fail "an installed adapter was refused: $(cat "$work/plugins.json")"
# The installed config as it is, but for its data and trusted-keys folders, moved under the root.
cfg=$root/etc/sendsync/sendsync.json.test
sed -e "s|\"/var/lib/sendsync\"|\"$root/var/lib/sendsync\"|" \
  -e "s|\"/etc/sendsync/trusted-keys\"|\"$root/etc/sendsync/trusted-keys\"|" \
  "$root/etc/sendsync/sendsync.json" >"$cfg"
grep -q "\"data_dir\": \"$root/var/lib/sendsync\"" "$cfg" ||
  fail "the installed config has no data_dir /var/lib/sendsync"
grep -q "\"trusted_keys_dir\": \"$root/etc/sendsync/trusted-keys\"" "$cfg" ||
  fail "the installed config has no trusted_keys_dir /etc/sendsync/trusted-keys"
"$root/usr/bin/sendsync" config check "$cfg" || fail "config check"

step "install a bundled signed adapter package"
"$root/usr/bin/sendsync" init --config "$cfg" >/dev/null || fail "sendsync init"
# A tampered copy is refused, and nothing is installed.
tampered=$work/ctf-tampered.sendsync-adapter
cp "$root/usr/share/sendsync/adapter-packages/ctf.sendsync-adapter" "$tampered"
off=$(($(stat -c %s "$tampered") / 2))
byte=$(od -An -tu1 -j "$off" -N1 "$tampered" | tr -d ' ')
printf "\\$(printf %03o $(((byte + 1) % 256)))" | dd of="$tampered" bs=1 seek="$off" conv=notrunc status=none
cmp -s "$tampered" "$root/usr/share/sendsync/adapter-packages/ctf.sendsync-adapter" && fail "the copy was not tampered"
"$root/usr/bin/sendsync" adapters install "$tampered" --config "$cfg" >"$work/tampered.txt" 2>&1 &&
  fail "a tampered bundled package was installed: $(cat "$work/tampered.txt")"
grep -q "does not match its SHA-256" "$work/tampered.txt" ||
  fail "the tampered package was refused for another reason: $(cat "$work/tampered.txt")"
[[ -z $(ls -A "$root/var/lib/sendsync/adapters" 2>/dev/null) ]] || fail "the refused package left files behind"
# The genuine one is verified against the build's key, installed in /etc/sendsync/trusted-keys.
"$root/usr/bin/sendsync" adapters install "$root"/usr/share/sendsync/adapter-packages/ctf*.sendsync-adapter \
  --config "$cfg" >"$work/install.txt" 2>&1 || { cat "$work/install.txt"; fail "sendsync adapters install ctf"; }
cat "$work/install.txt"
grep -q "signature verified" "$work/install.txt" || fail "the bundled package's signature was not checked"
"$root/usr/bin/sendsync" adapters list --config "$cfg" --json >"$work/adapters.json" || fail "sendsync adapters list"
grep -q '"id": "ctf"' "$work/adapters.json" || fail "adapters list does not show ctf: $(cat "$work/adapters.json")"
rm "$cfg"

# The man page holds every command's own help; bash completes commands and their options.
zcat "$root/usr/share/man/man1/sendsync.1.gz" >"$work/sendsync.1"
for c in "sendsync link add" "sendsync plugins list" "sendsync adapters test"; do
  grep -q "^\.SS \"$c\"" "$work/sendsync.1" || fail "the man page lacks $c"
done
grep -q -- '--school' "$work/sendsync.1" || fail "the man page lacks the commands' options"
completions=$(bash -c '
  source "$1/usr/share/bash-completion/completions/sendsync"
  c() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _sendsync; echo "${COMPREPLY[*]}"; }
  c "$1/usr/bin/sendsync" lin; c "$1/usr/bin/sendsync" link a; c "$1/usr/bin/sendsync" link add --sch' _ "$root")
[[ $completions == $'link\nadd\n--school --schedule' ]] || fail "bash completion gave: $completions"

step "the SDK: the template adapter, out of tree"
# `sendsync adapters new` writes it from the installed template, under the new adapter's names.
"$root/usr/bin/sendsync" adapters new acme-mis --dir "$work/acme" >"$work/new.txt" ||
  { cat "$work/new.txt"; fail "sendsync adapters new"; }
grep -q '{"id", "acme-mis"}' "$work/acme/adapter.cpp" || fail "adapters new did not set the manifest id"
grep -q "my-adapter\|my_adapter\|MyAdapter" "$work/acme/adapter.cpp" "$work/acme/CMakeLists.txt" \
  "$work/acme/conformance_test.cpp" && fail "adapters new left template names behind"
"$root/usr/bin/sendsync" adapters new acme-mis --dir "$work/acme" >/dev/null 2>&1 &&
  fail "adapters new overwrote an existing folder"
"$root/usr/bin/sendsync" adapters new "Acme MIS" --dir "$work/acme2" >/dev/null 2>&1 &&
  fail "adapters new took an id the host would refuse"
cmake -S "$work/acme" -B "$work/acme/build" -DCMAKE_PREFIX_PATH="$root/usr" >"$work/tpl.log" 2>&1 ||
  { cat "$work/tpl.log"; fail "configuring the template against the installed SDK"; }
cmake --build "$work/acme/build" -j2 >>"$work/tpl.log" 2>&1 || { cat "$work/tpl.log"; fail "building the template"; }
(cd "$work/acme/build" && ctest --output-on-failure >"$work/tpl-test.log" 2>&1) ||
  { cat "$work/tpl-test.log"; fail "the template's conformance test"; }
# The installed host validates it through its worker, as it will run it.
"$root/usr/bin/sendsync" plugins inspect "$work/acme/build/acme-mis.so" >"$work/inspect.txt" ||
  { cat "$work/inspect.txt"; fail "sendsync plugins inspect on the template adapter"; }
# And runs the conformance kit against it through the installed worker.
mkdir -p "$work/fixture"
printf '{"kind":"pupil","id":"P1","upn":"B801200005001","legal_surname":"S","legal_forename":"F","dob":"2014-03-02","sex":"F"}\n' \
  >"$work/fixture/pupil.jsonl"
echo "{\"folder\": \"$work/fixture\"}" >"$work/fixture.json"
"$root/usr/bin/sendsync" adapters test "$work/acme/build/acme-mis.so" --config "$work/fixture.json" \
  >"$work/kit.txt" 2>&1 || { cat "$work/kit.txt"; fail "sendsync adapters test on the template adapter"; }
grep -q "worker" "$work/kit.txt" || fail "adapters test did not use the worker: $(cat "$work/kit.txt")"
PKG_CONFIG_PATH=$(dirname "$(find "$root/usr/lib" -name sendsync-sdk.pc)") \
  pkg-config --cflags --libs sendsync-sdk >"$work/pc.txt" || fail "pkg-config sendsync-sdk"
inc=$(grep -o -- '-I[^ ]*' "$work/pc.txt" | head -1)
libdir=$(grep -o -- '-L[^ ]*' "$work/pc.txt" | head -1)
[[ -f ${inc#-I}/sendsync/plugin_abi.h && -f ${libdir#-L}/libsendsync_sdk.a ]] ||
  fail "pkg-config points at missing files: $(cat "$work/pc.txt")"

step "purge"
# A store the admin made (above) is data about children: purging the package must keep it.
dpkg_root --purge sendsync-sdk-dev sendsync >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "dpkg --purge"; }
[[ -f $root/var/lib/sendsync/sendsync.db ]] || fail "purging deleted the store"
grep -q "kept /var/lib/sendsync" "$work/purge.log" || fail "purge did not say it kept the store"
rm -r "$root/var/lib/sendsync"
left=$(cd "$root" && find . -not -type d -not -path './var/lib/dpkg/*' | sort)
# Kept by policy: the system user and group (sysusers' passwd, group, shadow, gshadow, their
# backups and the lock file it takes on them).
unexpected=$(grep -vxE '\./etc/((passwd|group|shadow|gshadow)-?|\.pwd\.lock)' <<<"$left" || true)
[[ -z $unexpected ]] || fail "left after purge: $unexpected"
dirs=$(cd "$root" && find . -mindepth 1 -type d -not -path './var/lib/dpkg*' -not -path ./var/lib \
  -not -path ./var -not -path ./var/log -not -path ./etc | sort)
[[ -z $dirs ]] || fail "folders left after purge: $dirs"
echo "packaging: ok"
