#!/usr/bin/env bash
# Regenerates the real captures in this folder from a live PostgreSQL 15
# (PGHOST/PGPORT/PGUSER set; a superuser; shared_preload_libraries =
# 'pg_stat_statements'). It creates lock contention (a LOCK TABLE holder
# idle in transaction, waiters on the relation, a row-lock chain on a
# transaction id and a tuple) and saves pg_locks, pg_stat_activity and
# pg_stat_statements as psql prints them (aligned, \watch with titles),
# as \copy CSV and as row_to_json lines, the three forms of one moment in
# one REPEATABLE READ transaction. Run from this folder.
set -euo pipefail
export PGDATABASE=postgres TZ=UTC LC_ALL=C
psql -qX -c "DROP DATABASE IF EXISTS vidbench" -c "DROP DATABASE IF EXISTS legacy" -c "CREATE DATABASE vidbench" -c "CREATE DATABASE legacy"
export PGDATABASE=vidbench
psql -qX <<'SQL'
CREATE EXTENSION pg_stat_statements;
CREATE TABLE jobs (id int PRIMARY KEY, state text, payload text);
INSERT INTO jobs SELECT g, 'queued', 'x' FROM generate_series(1, 100) g;
CREATE TABLE accounts (id int PRIMARY KEY, balance int);
INSERT INTO accounts VALUES (1, 100), (2, 200);
SELECT pg_stat_statements_reset();
SELECT count(*) FROM jobs WHERE state = 'queued';
SELECT id, state
  FROM jobs
 WHERE id < 10
 ORDER BY id;
UPDATE jobs SET payload = 'y' WHERE id = 3;
SQL
# pg_stat_statements 1.4 (the PostgreSQL 9.6-12 columns) in another database
PGDATABASE=legacy psql -qX -c "CREATE EXTENSION pg_stat_statements VERSION '1.4'" -c "SELECT 1" -c "SELECT 2"
PGDATABASE=legacy psql -X -c "SELECT * FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%' ORDER BY query" > statements-pg12-style.txt

# lock contention
(echo "BEGIN; LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE;"; sleep 20; echo "COMMIT;") | psql -qX >/dev/null &
(echo "BEGIN; UPDATE accounts SET balance = balance - 1 WHERE id = 1;"; sleep 20; echo "COMMIT;") | psql -qX >/dev/null &
sleep 0.5
psql -qX -c "UPDATE jobs SET state = 'running'
  WHERE id = 7" >/dev/null 2>&1 &
psql -qX -c "SELECT count(*) FROM jobs" >/dev/null 2>&1 &
psql -qX -c "UPDATE accounts SET balance = balance + 5 WHERE id = 1" >/dev/null 2>&1 &
sleep 0.3
psql -qX -c "UPDATE accounts SET balance = 0 WHERE id = 1" >/dev/null 2>&1 &
sleep 1

mine="pid <> pg_backend_pid() AND backend_type = 'client backend'"
printf '%s\n' "SELECT * FROM pg_locks WHERE pid <> pg_backend_pid() ORDER BY pid, locktype, mode" '\watch 1' |
	timeout -s INT 2.5 psql -X -o locks-watch.txt || true
printf '%s\n' "SELECT * FROM pg_stat_activity WHERE $mine ORDER BY pid" '\watch 1' |
	timeout -s INT 2.5 psql -X -o activity-watch.txt || true
psql -X -c "SELECT * FROM pg_stat_statements ORDER BY query" > statements-pg15.txt
psql -X -c "\\copy (SELECT now() AS snapshot_ts, * FROM pg_stat_statements ORDER BY query) TO 'statements-pg15.csv' CSV HEADER"
# the three forms of one moment
psql -qX <<SQL
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
\\copy (SELECT now() AS snapshot_ts, * FROM pg_locks WHERE pid <> pg_backend_pid() ORDER BY pid, locktype, mode) TO 'moment-locks.csv' CSV HEADER
\\copy (SELECT now() AS snapshot_ts, * FROM pg_stat_activity WHERE $mine ORDER BY pid) TO 'moment-activity.csv' CSV HEADER
\\o moment-locks.json
\\t on
\\a
SELECT row_to_json(a) FROM (SELECT now() AS snapshot_ts, * FROM pg_locks WHERE pid <> pg_backend_pid() ORDER BY pid, locktype, mode) a;
\\o moment-activity.json
SELECT row_to_json(a) FROM (SELECT now() AS snapshot_ts, * FROM pg_stat_activity WHERE $mine ORDER BY pid) a;
\\a
\\t off
\\o moment-locks.txt
SELECT now() AS snapshot_ts, * FROM pg_locks WHERE pid <> pg_backend_pid() ORDER BY pid, locktype, mode;
\\o moment-activity.txt
SELECT now() AS snapshot_ts, * FROM pg_stat_activity WHERE $mine ORDER BY pid;
\\o
COMMIT;
SQL
wait
