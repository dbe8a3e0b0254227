package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestComposeAccessLinesAreRequests: nginx's access lines inside
// docker-compose logs are requests (a case whose only access log is the
// proxy container's output still has HTTP impact), and a request seen both
// there and in the access log file is counted once.
func TestComposeAccessLinesAreRequests(t *testing.T) {
	dir := t.TempDir()
	c := filepath.Join(dir, "case")
	if err := os.MkdirAll(filepath.Join(c, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	reqs := []string{
		`10.0.3.7 - alice [19/Aug/2027:03:14:01 +0000] "POST /api/v1/benchmarks HTTP/1.1" 500 112 "-" "python-requests/2.31.0"`,
		`10.0.3.8 - - [19/Aug/2027:03:14:02 +0000] "GET /health HTTP/1.1" 503 40 "-" "curl/7.88.1"`,
		`10.0.3.7 - alice [19/Aug/2027:03:14:05 +0000] "GET /api/v1/benchmarks?limit=50 HTTP/1.1" 502 157 "-" "python-requests/2.31.0"`,
	}
	only := `10.0.3.9 - bob [19/Aug/2027:03:14:09 +0000] "GET /api/v1/leaderboard HTTP/1.1" 502 157 "-" "Mozilla/5.0"`
	var compose strings.Builder
	compose.WriteString("Attaching to vidbench_nginx_1, vidbench_benchmark_1\n")
	compose.WriteString("benchmark_1  | 2027-08-19 03:14:00,101 ERROR [vid_bench.db] could not write to file: No space left on device\n")
	for _, r := range append(append([]string{}, reqs...), only) {
		compose.WriteString("nginx_1      | " + r + "\n")
	}
	writeFile(t, filepath.Join(c, "logs", "docker-compose.log"), compose.String())
	writeFile(t, filepath.Join(c, "logs", "access.log"), strings.Join(reqs, "\n")+"\n")
	db := filepath.Join(dir, "c.duckdb")
	must(t, dir, "ingest", "--no-progress", c, "--db", db)
	if n := scalar(t, dir, db, "SELECT count(*) FROM http_requests WHERE dup_of IS NULL"); n != 4 {
		t.Errorf("%d distinct requests, want 4 (3 in both sources, 1 only in the compose log)", n)
	}
	if n := scalar(t, dir, db, "SELECT count(*) FROM http_requests r JOIN sources s ON s.id = r.source_id WHERE r.dup_of IS NOT NULL AND s.kind = 'compose'"); n != 3 {
		t.Errorf("%d compose copies marked dup_of, want 3 (the access log file's copy is the first)", n)
	}
	if n := scalar(t, dir, db, "SELECT count(*) FROM http_requests WHERE attrs->>'container' = 'nginx_1' AND status = 502 AND path = '/api/v1/leaderboard'"); n != 1 {
		t.Errorf("the compose-only request is not a row with its container: %d", n)
	}
	if n := scalar(t, dir, db, "SELECT count(*) FROM logs WHERE message LIKE '%No space left%'"); n != 1 {
		t.Errorf("the app line inside the compose log: %d rows, want 1", n)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
