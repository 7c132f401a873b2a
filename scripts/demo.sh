#!/usr/bin/env bash
# The main job: sets up, builds, and runs one school through sendsync on the embedded SQLite
# default. Meadowbank Primary School (invented, like every pupil here) has three links:
#   mis            its MIS, through the broker-style REST API (played by sendsync-sim-mis-api on
#                  127.0.0.1, an ephemeral port, stopped when the demo ends)
#   ctf            a drop folder where the local authority's Common Transfer Files arrive
#   provision-map  CSV exports of its provision-mapping tool (pupil list and provision map)
# sendsync matches the pupils across the three by UPN, quarantines the broken rows, then a later CTF
# brings two EHC plans: one reaches the MIS by write-back, the other conflicts with an edit made in
# the MIS meanwhile and waits for a person, who resolves it. Data: scripts/demo/. Everything runs in
# a temporary folder that is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/setup.sh
# Only what the demo runs (the custom target `demo`), not the tests: a first run stays short.
scripts/build.sh release --target demo >/dev/null

bin=$root/build/bin
data=$root/scripts/demo
for program in sendsync sendsync-adapter-host sendsync-sim-mis-api; do
  if [[ ! -x $bin/$program ]]; then
    echo "demo: $bin/$program was not built (the MIS simulator is built with the tests:" \
      "configure without -DSENDSYNC_TESTS=OFF)" >&2
    exit 1
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/sendsync-demo.XXXXXX")
sim_pid=""
cleanup() {
  if [[ -n $sim_pid ]]; then
    kill "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The store, the bundled adapters, and the MIS token the link's config refers to (env:...): a
# secret is never written into a config file.
unset SENDSYNC_CONFIG
export SENDSYNC_DB="sqlite:$work/sendsync.db"
export SENDSYNC_PLUGINS="$bin/plugins"
export SENDSYNC_ADAPTER_HOST="$bin/sendsync-adapter-host"
export MEADOWBANK_MIS_TOKEN="meadowbank-demo-token"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# Shows and runs a sendsync command. Exit 3 ("finished, records need a person") is expected here.
sendsync() {
  printf '$ sendsync %s\n' "$*"
  local rc=0
  "$bin/sendsync" "$@" || rc=$?
  if [[ $rc -ne 0 && $rc -ne 3 ]]; then
    echo "demo: sendsync $1 failed (exit $rc)" >&2
    exit "$rc"
  fi
  [[ $rc -eq 3 ]] && echo "(exit 3: finished, with records that need a person)"
  return 0
}
# POST a JSON body to the MIS simulator's control endpoint (bash's /dev/tcp: no curl needed).
mis_control() {
  local path=$1 body=$2 status
  exec 3<>"/dev/tcp/127.0.0.1/$mis_port"
  printf 'POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
    "$path" "$(LC_ALL=C; echo ${#body})" "$body" >&3
  read -r _ status _ <&3 || true
  exec 3<&- 3>&-
  [[ $status == 2* ]] || { echo "demo: the MIS simulator refused $path (HTTP ${status:-no answer})" >&2; exit 1; }
}

# Prints each student's SEN status as the MIS simulator now holds it (its control endpoint).
mis_students() {
  local body
  exec 3<>"/dev/tcp/127.0.0.1/$mis_port"
  printf 'GET /_sim-mis/school HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
  body=$(sed '1,/^\r$/d' <&3)
  exec 3<&- 3>&-
  # One student per line (their JSON keys are sorted, so sen_status's own start_date comes last).
  sed 's/},{"admission_date"/}\n{"admission_date"/g' <<<"$body" |
    sed -nE 's/.*"id":"(STU-[0-9]+)".*"legal_forename":"([^"]*)".*"legal_surname":"([^"]*)".*"sen_status":\{"code":"([A-Z])".*"start_date":"([0-9-]+)"\}.*/  \1  \2 \3: SEN status \4 since \5/p'
}

step "The school's systems (fake data under $work)"
mkdir -p "$work/ctf-in" "$work/provision-map" "$work/csv-state"
cp "$data"/ctf/*.xml "$work/ctf-in/"
cp "$data"/provision-map/*.csv "$work/provision-map/"
"$bin/sendsync-sim-mis-api" --token "$MEADOWBANK_MIS_TOKEN" --data "$data/mis-school.json" \
  --port-file "$work/mis.port" 2>"$work/mis-sim.log" &
sim_pid=$!
for _ in $(seq 200); do
  [[ -s $work/mis.port ]] && break
  kill -0 "$sim_pid" 2>/dev/null || { cat "$work/mis-sim.log" >&2; exit 1; }
  sleep 0.05
done
mis_port=$(cat "$work/mis.port")
echo "MIS API simulator on http://127.0.0.1:$mis_port/v1.0, holding:"
mis_students
echo "CTF drop folder:      $(ls "$work/ctf-in")"
echo "provision-map export: $(cd "$work/provision-map" && ls | tr '\n' ' ')"

cat >"$work/mis.json" <<EOF
{"base_url": "http://127.0.0.1:$mis_port/v1.0", "school_id": "SCH-MEADOWBANK",
 "token": "env:MEADOWBANK_MIS_TOKEN"}
EOF
cat >"$work/ctf.json" <<EOF
{"drop_folder": "$work/ctf-in", "settle_seconds": 0}
EOF
cat >"$work/provision-map.json" <<EOF
{"state_folder": "$work/csv-state",
 "sources": [
  {"name": "pupils", "kind": "pupil", "path": "$work/provision-map/pupils.csv",
   "columns": {"pupil_id": "Pupil ID", "upn": "UPN", "legal_surname": "Surname",
               "legal_forename": "Forename", "dob": "Date of Birth", "sex": "Gender"}},
  {"name": "provision-map", "kind": "provision", "path": "$work/provision-map/provision_map.csv",
   "columns": {"pupil_id": "Pupil ID", "upn": "UPN", "intervention": "Intervention",
               "area": "Area of Need", "wave": "Wave", "group_size": "Group Size",
               "sessions_per_week": "Sessions per Week", "minutes_per_session": "Minutes per Session",
               "staff_role": "Staff", "start": "Start Date", "end": "End Date",
               "hourly_rate": "Hourly Rate"},
   "id_from": ["upn", "intervention", "start"]}]}
EOF

step "A store and three links"
sendsync init
sendsync link add --school 100001 --adapter mis-api --name mis --config "$work/mis.json" \
  --settings "$data/mis-settings.json"
sendsync link add --school 100001 --adapter ctf --name ctf --config "$work/ctf.json" \
  --settings "$data/ctf-settings.json"
sendsync link add --school 100001 --adapter csv --name provision-map \
  --config "$work/provision-map.json" --settings "$data/csv-settings.json"
sendsync link list

step "First sync: pupils matched by UPN across the three systems"
echo "Links run side by side by default, so a hung system holds up only its own link; this story"
echo "runs them one after another in the order they were added (--parallel 1): MIS, CTF, CSV."
sendsync sync --parallel 1

step "What needs a person: rows that could not be read, each with its reason"
sendsync quarantine list
sendsync quarantine show 1

step "One pupil as the hub now holds her (ids in each system, SEN, costed provision, clocks)"
sendsync pupil show Q820200119001 --as-of 2025-11-01

step "Reviews and deadlines due or overdue on 1 November 2025"
sendsync due --as-of 2025-11-01 --within 60

step "Later: the LA's next CTF (two EHC plans) arrives, and the MIS is edited meanwhile"
cp "$data"/ctf-later/*.xml "$work/ctf-in/"
echo "CTF drop folder: $(ls "$work/ctf-in" | grep -v '^done$' | tr '\n' ' ')"
mis_control /_sim-mis/students/STU-0002/sen-status "$(cat "$data/mis-edit-jayden.json")"
echo "In the MIS, Jayden Price's EHC plan is entered as starting on 17 November 2025;"
echo "the LA's CTF says 12 November."
sendsync sync --parallel 1

step "The conflict: both systems changed the same field since they last agreed"
sendsync conflicts list
echo "Amara's plan waits for the MIS link's next run (it ran before the CTF was read):"
sendsync outbox list --link mis --status pending

step "A person decides (the LA's date is right), and the next sync delivers it to the MIS"
conflict_id=$("$bin/sendsync" conflicts list --json | sed -n 's/^ *"id": \([0-9]*\),$/\1/p' | head -1)
sendsync conflicts resolve "$conflict_id" --take theirs
sendsync sync --parallel 1
sendsync conflicts list
sendsync pupil show K820200118014 --as-of 2025-12-01

step "In the MIS now: Amara's plan (from the LA's CTF) and Jayden's date (the person's decision)"
mis_students

step "Done"
echo "The audit log records every change, hash-chained:"
sendsync audit verify
