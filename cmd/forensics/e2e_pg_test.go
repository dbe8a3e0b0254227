package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vidbench/forensics/internal/pgtest"
)

// rowsOf runs a query through the binary and returns its CSV lines
// without the header.
func rowsOf(t *testing.T, dir, db, sql string) []string {
	t.Helper()
	out := strings.TrimSpace(must(t, dir, "query", "--db", db, "--format", "csv", sql))
	lines := strings.Split(out, "\n")
	return lines[1:]
}

// copyTree copies the files of src into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		q := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(q), 0o755); err != nil {
			return err
		}
		return os.WriteFile(q, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPGFixturesEndToEnd ingests the real captures of ingest/testdata/pg
// (a LOCK TABLE holder idle in transaction with two waiters, and a row
// lock chain through a transaction id and a tuple) through the binary, and
// checks what the views make of them. It needs no server.
func TestPGFixturesEndToEnd(t *testing.T) {
	dir := t.TempDir()
	c := filepath.Join(dir, "case", "pg")
	copyTree(t, filepath.Join("..", "..", "ingest", "testdata", "pg"), c)
	os.Remove(filepath.Join(c, "capture.sh"))
	os.Remove(filepath.Join(c, "README.md"))
	os.RemoveAll(filepath.Join(c, "regress"))
	r := runBin(t, dir, nil, "ingest", "case", "--db", "case.duckdb", "--no-progress")
	if r.code != 0 {
		t.Fatalf("ingest: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "statements-pg15.txt") || !strings.Contains(r.stderr, "modification time") {
		t.Errorf("no warning about capture times taken from the mtime:\n%s", r.stderr)
	}
	for sql, want := range map[string]int64{
		"SELECT count(*) FROM sources WHERE kind NOT LIKE 'pg-%'":                                          0,
		"SELECT count(*) FROM rejects":                                                                     0,
		"SELECT count(*) FROM sources WHERE lines <> rows + continuations + rejects + filtered":            0,
		"SELECT count(*) FROM pg_locks":                                                                    66 + 22*3,
		"SELECT count(*) FROM pg_activity":                                                                 18 + 6*3,
		"SELECT count(*) FROM pg_statements WHERE layout = 'pre13' AND total_exec_time IS NOT NULL":        4,
		"SELECT count(*) FROM pg_blocking WHERE blocker_granted AND lock_target = 'relation 16465'":        2*3 + 2*3,
		"SELECT count(DISTINCT blocking_pid) FROM pg_blocking WHERE blocker_granted":                       3,
		"SELECT count(*) FROM events WHERE kind = 'pg_blocking'":                                           2,
		"SELECT count(*) FROM events e JOIN pg_locks l ON e.ref = 'pg_locks:' || l.id WHERE NOT l.granted": 2,
	} {
		if got := scalar(t, dir, "case.duckdb", sql); got != want {
			t.Errorf("%s = %d, want %d", sql, got, want)
		}
	}
	got := rowsOf(t, dir, "case.duckdb", `SELECT DISTINCT b.waiting_pid, b.blocking_pid, b.lock_target, b.blocking_state, left(b.blocking_query, 24)
FROM pg_blocking b JOIN sources s ON s.id = b.source_id WHERE b.blocker_granted AND s.kind = 'pg-csv' ORDER BY 1, 2`)
	want := []string{
		"20496,20481,relation 16465,idle in transaction,LOCK TABLE jobs IN ACCES",
		"20497,20482,transaction 755,idle in transaction,UPDATE accounts SET bala",
		"20498,20481,relation 16465,idle in transaction,LOCK TABLE jobs IN ACCES",
		"20514,20497,\"tuple (0,1) of relation 16472\",active,UPDATE accounts SET bala",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("pg_blocking:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// pgLive is a server with real lock contention: a session holding
// LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE in an open transaction, and two
// sessions waiting for it.
type pgLive struct {
	srv     *pgtest.Server
	holder  int // backend pid of the LOCK TABLE session
	waiters []int
	release func()
}

func startContention(t *testing.T) *pgLive {
	t.Helper()
	srv := pgtest.Start(t)
	if !srv.Statements {
		t.Skip("pg_stat_statements is not installed (postgresql-contrib-15)")
	}
	srv.Exec(t, "postgres", "-c", "CREATE DATABASE vid_bench")
	srv.Exec(t, "vid_bench", "-c", `CREATE EXTENSION pg_stat_statements;
CREATE TABLE jobs (id int PRIMARY KEY, state text);
INSERT INTO jobs SELECT g, 'queued' FROM generate_series(1, 100) g;
SELECT count(*) FROM jobs WHERE state = 'queued';`)
	live := &pgLive{srv: srv}

	// the holder: an open transaction that holds the lock and does nothing
	h := srv.Psql("vid_bench", nil, "-qAt")
	stdin, _ := h.StdinPipe()
	stdout, _ := h.StdoutPipe()
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	// its last query is the LOCK TABLE, as pg_stat_activity will show
	fmt.Fprintln(stdin, "SELECT pg_backend_pid();\nBEGIN;\nLOCK TABLE jobs IN ACCESS EXCLUSIVE MODE;")
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("holder: %v", err)
	}
	live.holder, _ = strconv.Atoi(strings.TrimSpace(line))
	for i := 0; ; i++ {
		out := srv.Exec(t, "vid_bench", "-qAt", "-c", fmt.Sprintf("SELECT count(*) FROM pg_locks WHERE pid = %d AND mode = 'AccessExclusiveLock' AND granted", live.holder))
		if strings.TrimSpace(out) == "1" {
			break
		}
		if i > 300 {
			t.Fatal("the holder never got its lock")
		}
		time.Sleep(100 * time.Millisecond)
	}

	// two waiters
	var waiters []*exec.Cmd
	for _, q := range []string{"UPDATE jobs SET state = 'running'\n  WHERE id = 7", "SELECT count(*) FROM jobs"} {
		w := srv.Psql("vid_bench", nil, "-qAt", "-c", q)
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		waiters = append(waiters, w)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		out := srv.Exec(t, "vid_bench", "-qAt", "-c", "SELECT string_agg(pid::text, ',' ORDER BY pid) FROM pg_locks WHERE NOT granted AND locktype = 'relation'")
		pids := strings.Split(strings.TrimSpace(out), ",")
		if len(pids) == 2 {
			for _, p := range pids {
				n, _ := strconv.Atoi(p)
				live.waiters = append(live.waiters, n)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the waiters never waited: %q", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	released := false
	live.release = func() {
		if released {
			return
		}
		released = true
		fmt.Fprintln(stdin, "COMMIT;")
		stdin.Close()
		io.Copy(io.Discard, stdout)
		h.Wait()
		for _, w := range waiters {
			w.Wait()
		}
	}
	t.Cleanup(live.release)
	return live
}

// capturePsql saves the contention with plain psql in the three forms:
// one moment as \copy CSV, row_to_json lines and aligned output in one
// REPEATABLE READ transaction (so they hold the same rows), and \watch
// output with its title lines (no time column).
func capturePsql(t *testing.T, live *pgLive, out string) {
	t.Helper()
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	mine := "pid <> pg_backend_pid() AND backend_type = 'client backend'"
	locks := "SELECT now() AS snapshot_ts, * FROM pg_locks WHERE pid <> pg_backend_pid() ORDER BY pid, locktype, mode"
	act := "SELECT now() AS snapshot_ts, * FROM pg_stat_activity WHERE " + mine + " ORDER BY pid"
	script := strings.Join([]string{
		"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;",
		`\copy (` + locks + `) TO 'moment-locks.csv' CSV HEADER`,
		`\copy (` + act + `) TO 'moment-activity.csv' CSV HEADER`,
		`\o moment-locks.json`, `\t on`, `\a`,
		"SELECT row_to_json(a) FROM (" + locks + ") a;",
		`\o moment-activity.json`,
		"SELECT row_to_json(a) FROM (" + act + ") a;",
		`\a`, `\t off`,
		`\o moment-locks.txt`, locks + ";",
		`\o moment-activity.txt`, act + ";",
		`\o`, "COMMIT;", "",
	}, "\n")
	cmd := live.srv.Psql("vid_bench", nil, "-q")
	cmd.Dir = out
	cmd.Stdin = strings.NewReader(script)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("psql capture: %v\n%s", err, b)
	}
	// \watch with titles, in the C locale: runs until interrupted
	for name, q := range map[string]string{
		"locks-watch.txt":    "SELECT * FROM pg_locks WHERE pid <> pg_backend_pid() ORDER BY pid, locktype, mode",
		"activity-watch.txt": "SELECT * FROM pg_stat_activity WHERE " + mine + " ORDER BY pid",
	} {
		cmd := live.srv.Psql("vid_bench", nil, "-o", name)
		cmd.Dir = out
		cmd.Stdin = strings.NewReader(q + "\n\\watch 0.5\n")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1300 * time.Millisecond)
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
		b, _ := os.ReadFile(filepath.Join(out, name))
		if !bytes.Contains(b, []byte("(every 0.5s)")) {
			t.Fatalf("%s has no \\watch title:\n%s", name, b)
		}
	}
}

// TestPGLiveLockContention creates real lock contention on a real
// PostgreSQL, records it with 'forensics collect pg' and with plain psql in
// the three forms, ingests everything, and checks that pg_blocking names
// the real blocker for both waiters in every form, and that the three
// forms of one moment give the same rows.
func TestPGLiveLockContention(t *testing.T) {
	live := startContention(t)
	dir := t.TempDir()
	caseDir := filepath.Join(dir, "case")

	r := runBin(t, dir, nil, "collect", "pg", "--dsn", live.srv.DSN("vid_bench"), "--every", "300ms", "--for", "1500ms", "--out", filepath.Join(caseDir, "collect"))
	if r.code != 0 {
		t.Fatalf("collect: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "snapshots written") || strings.Contains(r.stdout, "not collected") {
		t.Errorf("collect summary:\n%s", r.stdout)
	}
	capturePsql(t, live, filepath.Join(caseDir, "psql"))
	live.release()

	r = runBin(t, dir, nil, "ingest", "case", "--db", "case.duckdb", "--no-progress")
	if r.code != 0 {
		t.Fatalf("ingest: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, "modification time") {
		t.Errorf("every capture carries its time, yet:\n%s", r.stderr)
	}
	db := "case.duckdb"
	for sql, want := range map[string]int64{
		"SELECT count(*) FROM rejects": 0,
		"SELECT count(*) FROM sources WHERE kind NOT IN ('pg-csv', 'pg-json', 'pg-psql')":                                                   0,
		"SELECT count(*) FROM sources WHERE lines <> rows + continuations + rejects + filtered":                                             0,
		"SELECT count(*) FROM pg_settings WHERE name = 'max_connections' AND setting = '40'":                                                1,
		"SELECT (count(*) > 0)::INT FROM pg_statements WHERE query LIKE '%FROM jobs WHERE state = $1%' AND calls >= 1":                      1,
		"SELECT (count(DISTINCT snapshot_ts) >= 3)::INT FROM pg_locks l JOIN sources s ON s.id = l.source_id WHERE s.path LIKE '%collect%'": 1,
	} {
		if got := scalar(t, dir, db, sql); got != want {
			t.Errorf("%s = %d, want %d", sql, got, want)
		}
	}
	// pg_blocking names the real holder for both waiters, in every form
	forms := rowsOf(t, dir, db, `SELECT DISTINCT s.kind || ':' || regexp_replace(s.path, '.*/', '')
FROM pg_locks l JOIN sources s ON s.id = l.source_id ORDER BY 1`)
	if len(forms) != 5 {
		t.Errorf("pg_locks came from %v", forms)
	}
	for _, f := range forms {
		path := strings.SplitN(f, ":", 2)[1]
		got := rowsOf(t, dir, db, fmt.Sprintf(`SELECT DISTINCT b.waiting_pid, b.blocking_pid, b.blocking_state, left(b.blocking_query, 10)
FROM pg_blocking b JOIN sources s ON s.id = b.source_id
WHERE s.path LIKE '%%/%s' AND b.blocker_granted ORDER BY 1`, path))
		var want []string
		for _, w := range live.waiters {
			want = append(want, fmt.Sprintf("%d,%d,idle in transaction,LOCK TABLE", w, live.holder))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: pg_blocking\n%s\nwant\n%s", f, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	// the server's own answer, recorded by collect pg, agrees
	for _, w := range live.waiters {
		if n := scalar(t, dir, db, fmt.Sprintf(`SELECT count(*) FROM pg_activity WHERE pid = %d AND blocked_by = '{%d}'`, w, live.holder)); n < 3 {
			t.Errorf("pg_blocking_pids of %d: %d snapshots name %d", w, n, live.holder)
		}
	}
	// the three forms of one moment hold the same rows
	for _, v := range []struct{ table, cols string }{
		{"locks", `pid, locktype, "database", relation, transactionid, virtualxid, "mode", granted, fastpath, waitstart, snapshot_ts`},
		{"activity", `pid, datname, usename, state, wait_event_type, wait_event, query, query_start, backend_type, snapshot_ts`},
	} {
		var ref string
		for _, ext := range []string{"csv", "json", "txt"} {
			rows := rowsOf(t, dir, db, fmt.Sprintf(`SELECT %s FROM pg_%s WHERE source_id = (SELECT id FROM sources WHERE path LIKE '%%moment-%s.%s') ORDER BY ALL`,
				v.cols, v.table, v.table, ext))
			all := strings.Join(rows, "\n")
			if len(rows) < 2 {
				t.Errorf("moment-%s.%s: only %d rows", v.table, ext, len(rows))
			}
			if ref == "" {
				ref = all
			} else if all != ref {
				t.Errorf("moment-%s.%s differs from the csv:\n%s\n--- csv:\n%s", v.table, ext, all, ref)
			}
		}
	}
	if n := scalar(t, dir, db, fmt.Sprintf("SELECT count(*) FROM events WHERE kind = 'pg_blocking' AND text LIKE 'pid %d (idle in transaction)%%LOCK TABLE jobs%%'", live.holder)); n != 1 {
		t.Errorf("%d pg_blocking events", n)
	}
}

// TestPGCollectWithoutStatements collects from a database without the
// pg_stat_statements extension: it says so and records the other views.
func TestPGCollectWithoutStatements(t *testing.T) {
	srv := pgtest.Start(t)
	srv.Exec(t, "postgres", "-c", "CREATE DATABASE plain")
	dir := t.TempDir()
	r := runBin(t, dir, nil, "collect", "pg", "--dsn", srv.DSN("plain"), "--every", "200ms", "--for", "600ms", "--out", "out")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "pg_stat_statements: the extension is not installed") || !strings.Contains(r.stdout, "pg_stat_statements was not collected") {
		t.Errorf("no word about the missing extension:\n%s\n%s", r.stdout, r.stderr)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "out", "*.csv"))
	if len(files) != 3 {
		t.Errorf("files %v, want pg_stat_activity, pg_locks and pg_settings", files)
	}
	must(t, dir, "ingest", "out", "--db", "c.duckdb", "--no-progress")
	if n := scalar(t, dir, "c.duckdb", "SELECT count(*) FROM rejects"); n != 0 {
		t.Errorf("%d rejects", n)
	}
	if n := scalar(t, dir, "c.duckdb", "SELECT count(*) FROM pg_settings"); n < 100 {
		t.Errorf("%d settings", n)
	}
}

// TestPGCollectStopsOnInterrupt runs collect pg until Ctrl-C: it exits 0,
// says it was interrupted, and its files hold only whole snapshots.
func TestPGCollectStopsOnInterrupt(t *testing.T) {
	srv := pgtest.Start(t)
	dir := t.TempDir()
	cmd := exec.Command(binary, "collect", "pg", "--dsn", srv.DSN("postgres"), "--every", "100ms", "--for", "0", "--out", "out")
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v\n%s\n%s", err, stdout.String(), stderr.String())
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("collect pg did not stop on interrupt")
	}
	if !strings.Contains(stdout.String(), "stopped by interrupt") {
		t.Errorf("summary:\n%s", stdout.String())
	}
	must(t, dir, "ingest", "out", "--db", "c.duckdb", "--no-progress")
	if n := scalar(t, dir, "c.duckdb", "SELECT count(*) FROM rejects"); n != 0 {
		t.Errorf("%d rejects: a snapshot was cut", n)
	}
	if n := scalar(t, dir, "c.duckdb", "SELECT count(DISTINCT snapshot_ts) FROM pg_activity"); n < 3 {
		t.Errorf("%d snapshots", n)
	}
	// no session of the collector is left behind
	out := srv.Exec(t, "postgres", "-qAt", "-c", "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'forensics collect'")
	if strings.TrimSpace(out) != "0" {
		t.Errorf("%s collector sessions left", out)
	}
}

// TestPGCollectSurvivesRestart restarts the server while collect pg runs:
// the snapshots around the restart fail and are not written, the
// collector reconnects and goes on, and every file still reads cleanly.
func TestPGCollectSurvivesRestart(t *testing.T) {
	srv := pgtest.Start(t)
	dir := t.TempDir()
	cmd := exec.Command(binary, "collect", "pg", "--dsn", srv.DSN("postgres"), "--every", "200ms", "--for", "6s", "--out", "out")
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	srv.Restart(t)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "reconnected") {
		t.Errorf("no reconnection:\n%s", stderr.String())
	}
	must(t, dir, "ingest", "out", "--db", "c.duckdb", "--no-progress")
	if n := scalar(t, dir, "c.duckdb", "SELECT count(*) FROM rejects"); n != 0 {
		t.Errorf("%d rejects", n)
	}
	// snapshots from before and after the restart (backend_start moves on)
	if n := scalar(t, dir, "c.duckdb", "SELECT count(DISTINCT backend_start) FROM pg_activity WHERE backend_type = 'checkpointer'"); n != 2 {
		t.Errorf("checkpointer started %d times in the snapshots, want 2 (before and after the restart)", n)
	}
}

// TestPGCollectUsage covers bad invocations and an unreachable server.
func TestPGCollectUsage(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"collect", "pg", "--dsn", "postgres://x@127.0.0.1:1/db"}, 2, "--out DIR is required"},
		{[]string{"collect", "pg", "--out", "o", "--every", "1ms"}, 2, "too short"},
		{[]string{"collect", "pg", "--dsn", "postgres://postgres@127.0.0.1:1/db?connect_timeout=2", "--out", "o"}, 1, "hint: check --dsn"},
		{[]string{"collect", "pg", "--dsn", "not a dsn ===", "--out", "o"}, 1, "connection string"},
		{[]string{"collect"}, 2, "collect what?"},
	}
	for _, tt := range tests {
		r := runBin(t, dir, nil, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d, want %d with %q\n%s", tt.args, r.code, tt.code, tt.want, r.stderr)
		}
	}
	help := must(t, dir, "collect", "pg", "--help")
	for _, w := range []string{"--dsn", "--every", "--for", "--out", "forensics collect pg --dsn", "may hold secrets"} {
		if !strings.Contains(help, w) {
			t.Errorf("help lacks %q", w)
		}
	}
}
