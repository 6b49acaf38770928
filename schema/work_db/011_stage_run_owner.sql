-- ghl-backfill work database (issue 11): which process runs a stage_run, so that `status` can
-- tell a run still going from one whose process died (kill -9, a crash, a reboot) and still shows
-- 'running'; and why a stopped run stopped.
ALTER TABLE stage_run ADD COLUMN pid INTEGER;         -- the process running it
ALTER TABLE stage_run ADD COLUMN host TEXT;           -- its host name (gethostname)
ALTER TABLE stage_run ADD COLUMN boot_id TEXT;        -- /proc/sys/kernel/random/boot_id: a reboot ends every pid
ALTER TABLE stage_run ADD COLUMN pid_start INTEGER;   -- its start time (/proc/PID/stat, ticks since boot): pid reuse
ALTER TABLE stage_run ADD COLUMN stop_reason TEXT;    -- interrupted runs: signal | time budget | died
