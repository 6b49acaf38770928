#!/usr/bin/env bash
# gen-locations.sh LOCATIONS LEADS SQL_OUT SIM_JSON_OUT: a fetch benchmark's data, deterministic:
# LOCATIONS tenants with LEADS email-only leads each, every lead with one GHL contact.
set -euo pipefail
[[ $# -eq 4 ]] || { echo "usage: gen-locations.sh LOCATIONS LEADS SQL_OUT SIM_JSON_OUT" >&2; exit 2; }
locs=$1 leads=$2 sql=$3 json=$4
awk -v L="$locs" -v N="$leads" 'BEGIN {
  print "INSERT INTO \"Client\"(id, name, \"ghlLocationId\", \"ghlPrivateKey\", \"userId\", \"createdAt\", \"updatedAt\") VALUES";
  for (l = 1; l <= L; l++)
    printf "%s (%cbench-client-%04d%c, %cBench %d%c, %cbenchloc%012d%c, %cbench-token-%04d-0001%c, %cu%c, now(), now())\n",
      (l > 1 ? "," : ""), 39, l, 39, 39, l, 39, 39, l, 39, 39, l, 39, 39, 39;
  print ";";
  printf "INSERT INTO \"Lead\"(id, \"clientId\", email, \"createdAt\", \"updatedAt\") SELECT ";
  printf "%cbench-lead-%c || lpad(c::text, 4, %c0%c) || %c-%c || lpad(i::text, 6, %c0%c), ", 39, 39, 39, 39, 39, 39, 39, 39;
  printf "%cbench-client-%c || lpad(c::text, 4, %c0%c), %cp%c || i || %c@c%c || c || %c.example.com%c, now(), now() ", 39, 39, 39, 39, 39, 39, 39, 39, 39, 39;
  printf "FROM generate_series(1, %d) c, generate_series(1, %d) i;\n", L, N;
}' >"$sql"
awk -v L="$locs" -v N="$leads" 'BEGIN {
  printf "{\"locations\": [\n";
  for (l = 1; l <= L; l++) {
    printf "%s{\"id\": \"benchloc%012d\", \"token\": \"bench-token-%04d-0001\", \"contacts\": [", (l > 1 ? "," : ""), l, l;
    for (i = 1; i <= N; i++)
      printf "%s{\"id\": \"bc%04d%013d\", \"email\": \"p%d@c%d.example.com\", \"phone\": \"+1 415 555 %04d\", \"firstName\": \"F\", \"lastName\": \"L\", \"companyName\": \"C\"}",
        (i > 1 ? "," : ""), l, i, i, l, i % 10000;
    printf "]}\n";
  }
  printf "]}\n";
}' >"$json"
