-- ghl-backfill work database, version 12: extract reads leads in byte order of id (COLLATE "C")
-- instead of the application database's default collation, and a stopped pass continues after
-- its last id in that order. A pass stopped by an older build kept its key in the other order,
-- where "after it" is another set of leads: it starts over instead (issue 12).
DELETE FROM extract_pass;
