#!/usr/bin/env bash
# rounds-gen.sh OUTDIR: writes OUTDIR/app.sql and OUTDIR/sim.json for rounds_test.sh, the same
# every time (no randomness). 3 tenants x 40 leads. In each location, contact k (0..12) has the
# email personK.tT@example.com; lead i wants contact i % 14 (13: no contact), so leads i, i+14,
# i+28 share an email, spelled with case and whitespace variants. Contact 12 is already linked
# to a complete (ineligible) lead; lead 0 of each tenant has a stored contact id (GET).
set -euo pipefail
out=$1
awk -v out="$out" 'BEGIN {
  sql = out "/app.sql"; sim = out "/sim.json"
  print "BEGIN;" > sql
  printf "{\"locations\": [\n" > sim
  for (t = 0; t < 3; t++) {
    loc = sprintf("locRounds%07d", t); tok = sprintf("tok-rounds-secret-%d", t); cl = sprintf("client-r%d", t)
    printf "INSERT INTO \"Client\"(id, name, \"ghlLocationId\", \"ghlPrivateKey\", \"userId\", \"createdAt\", \"updatedAt\") VALUES (%s, %s, %s, %s, %s, now(), now());\n", \
      q(cl), q("Rounds " t), q(loc), q(tok), q("u" t) >> sql
    printf "%s{\"id\": \"%s\", \"token\": \"%s\", \"contacts\": [\n", (t ? ",\n" : ""), loc, tok >> sim
    for (k = 0; k < 13; k++) {
      id = sprintf("cRounds%dK%02d00000000", t, k)
      printf "  %s{\"id\": \"%s\", \"email\": \"person%d.t%d@example.com\", \"phone\": \"+1 415 555 %02d%02d\", \"firstName\": \"Fn%dx%d\", \"lastName\": \"Ln%dx%d\", \"companyName\": \"Co%dx%d\", \"dateAdded\": \"2024-01-%02dT00:00:00.000Z\"}\n", \
        (k ? "," : ""), id, k, t, t, k, t, k, t, k, t, k, k + 1 >> sim
    }
    printf "]}" >> sim
    # The complete lead already linked to contact 12 (not eligible: nothing missing).
    printf "INSERT INTO \"Lead\"(id, \"clientId\", \"ghlContactId\", email, phone, \"firstName\", \"lastName\", \"companyName\", \"enrichmentStatus\", \"createdAt\", \"updatedAt\") VALUES (%s, %s, %s, %s, %s, %s, %s, %s, NULL, now(), %s);\n", \
      q(sprintf("r%d-linked", t)), q(cl), q(sprintf("cRounds%dK1200000000", t)), q("held" t "@example.com"), q("+15550000000"), q("Held"), q("Holder"), q("Held Co"), q("2020-01-01") >> sql
    for (i = 0; i < 40; i++) {
      k = i % 14
      base = (k == 13) ? sprintf("nobody.t%d@example.com", t) : sprintf("person%d.t%d@example.com", k, t)
      v = int(i / 14)
      email = (v == 0) ? base : (v == 1) ? " " toupper(base) " " : "\t" toupper(substr(base, 1, 1)) substr(base, 2)
      cid = "NULL"
      if (i == 0) { cid = q(sprintf("cRounds%dK0000000000", t)); email = base }
      fn = (i % 5 == 0) ? q("Kept") : "NULL"
      es = (i % 4 == 0) ? q("not_needed") : (i % 4 == 1) ? "NULL" : q("pending")
      printf "INSERT INTO \"Lead\"(id, \"clientId\", \"ghlContactId\", email, phone, \"firstName\", \"lastName\", \"companyName\", \"enrichmentStatus\", \"createdAt\", \"updatedAt\") VALUES (%s, %s, %s, E%s, NULL, %s, NULL, NULL, %s, now(), %s);\n", \
        q(sprintf("r%d-%03d", t, 39 - i)), q(cl), cid, q(email), fn, es, q("2020-01-01") >> sql
    }
  }
  print "COMMIT;" >> sql
  printf "\n]}\n" >> sim
}
function q(s) { gsub(/\x27/, "\x27\x27", s); gsub(/\t/, "\\t", s); return "\x27" s "\x27" }'
