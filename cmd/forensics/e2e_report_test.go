package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hostileCase copies the gpu-oom fixture and plants secrets and hostile
// Markdown/HTML into the root cause's first error line.
func hostileCase(t *testing.T, dir string) string {
	t.Helper()
	src := filepath.Join(repoRoot(t), "fixtures/cases/gpu-oom")
	dst := filepath.Join(dir, "gpu-oom")
	const needle = "78.09 GiB memory in use."
	const hostile = needle + " dsn=postgres://bench:S3cretPw0rd@db:5432/vid PGPASSWORD=pgEnvSecret9 Authorization: Bearer tok3nValue12345 key AKIAIOSFODNN7EXAMPLE | col `code` <script>alert(1)</script>"
	planted := 0
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !strings.HasSuffix(p, ".gz") && strings.Contains(string(b), needle) {
			b = []byte(strings.ReplaceAll(string(b), needle, hostile))
			planted++
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if planted == 0 {
		t.Fatal("found no line to plant hostile text in")
	}
	return dst
}

// TestReportRedactsAndEscapes runs investigate and report on a case whose
// logs hold secrets, pipes, backticks and a <script> tag.
func TestReportRedactsAndEscapes(t *testing.T) {
	dir := t.TempDir()
	c := hostileCase(t, dir)
	db := filepath.Join(dir, "h.duckdb")
	// the default output folder is ./<case>-report in the working directory
	r := runBin(t, dir, nil, "investigate", "--no-progress", c, "--db", db)
	if r.code != 0 {
		t.Fatalf("investigate: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	written, err := os.ReadFile(filepath.Join(dir, "gpu-oom-report", "report.md"))
	if err != nil {
		t.Fatalf("default report folder: %v\n%s", err, r.stdout)
	}
	secrets := []string{"S3cretPw0rd", "pgEnvSecret9", "tok3nValue12345", "AKIAIOSFODNN7EXAMPLE"}
	md := must(t, dir, "report", "--db", db)
	tlmd := must(t, dir, "timeline", "--db", db, "--format", "markdown")
	tljson := must(t, dir, "timeline", "--db", db, "--format", "json")
	detjson := must(t, dir, "detect", "--db", db, "--format", "json")
	dettable := must(t, dir, "detect", "--db", db)
	for name, out := range map[string]string{"report.md": string(written), "report": md, "timeline markdown": tlmd, "timeline json": tljson,
		"investigate": r.stdout, "detect json": detjson, "detect table": dettable} {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s shows the secret %q", name, s)
			}
		}
	}
	if !strings.Contains(md, "postgres://bench:[REDACTED]@db") && !strings.Contains(md, `postgres://bench:\[REDACTED\]@db`) {
		t.Errorf("report does not show the redacted DSN")
	}
	// escaping: the hostile line is in the report, as text
	if !strings.Contains(md, "&lt;script&gt;alert(1)&lt;/script&gt;") || strings.Contains(md, "<script>") {
		t.Errorf("report does not escape <script>")
	}
	if !strings.Contains(md, "\\| col \\`code\\`") {
		t.Errorf("report does not escape pipes and backticks")
	}
	checkTables(t, md)

	raw := must(t, dir, "report", "--db", db, "--no-redact")
	for _, s := range secrets {
		if !strings.Contains(raw, s) {
			t.Errorf("--no-redact hides %q", s)
		}
	}
	if strings.Contains(raw, "<script>") {
		t.Error("--no-redact report does not escape <script>")
	}
	if out := must(t, dir, "timeline", "--db", db, "--format", "json", "--no-redact"); !strings.Contains(out, "pgEnvSecret9") {
		t.Error("timeline --no-redact hides the secret")
	}
	if out := must(t, dir, "detect", "--db", db, "--format", "json", "--no-redact"); !strings.Contains(out, "S3cretPw0rd") {
		t.Error("detect --no-redact hides the secret")
	}

	// -o writes the file; --out inside the evidence folder is refused
	o := filepath.Join(dir, "r.md")
	must(t, dir, "report", "--db", db, "-o", o, "--display-tz", "Europe/Berlin")
	b, err := os.ReadFile(o)
	if err != nil || !strings.Contains(string(b), "Times are in Europe/Berlin.") || !strings.Contains(string(b), "+01:00") {
		t.Errorf("report -o with --display-tz: %v\n%.400s", err, b)
	}
	if r := runBin(t, dir, nil, "investigate", "--no-progress", c, "--db", db, "--out", filepath.Join(c, "logs", "out")); r.code != 2 || !strings.Contains(r.stderr, "inside the evidence folder") {
		t.Errorf("--out inside the case: exit %d, %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(c, "logs", "out")); err == nil {
		t.Error("a folder was created inside the evidence")
	}
	if r := runBin(t, dir, nil, "report", "--db", db, "--format", "pdf"); r.code != 2 || !strings.Contains(r.stderr, "markdown or html") {
		t.Errorf("--format pdf: exit %d, want 2 with the formats named: %s", r.code, r.stderr)
	}

	// the HTML page: investigate's report.html and report --format html
	// (redacted, and with --no-redact) keep the hostile line as text
	page, err := os.ReadFile(filepath.Join(dir, "gpu-oom-report", "report.html"))
	if err != nil {
		t.Fatalf("investigate wrote no report.html: %v\n%s", err, r.stdout)
	}
	if !strings.Contains(r.stdout, "report.html") {
		t.Errorf("investigate does not print the report.html path:\n%s", r.stdout)
	}
	htmlOut := must(t, dir, "report", "--db", db, "--format", "html")
	htmlRaw := must(t, dir, "report", "--db", db, "--format", "html", "--no-redact")
	for name, out := range map[string]string{"report.html": string(page), "report --format html": htmlOut, "report --format html --no-redact": htmlRaw} {
		if strings.Contains(strings.ToLower(out), "<script") {
			t.Errorf("%s holds a <script> element", name)
		}
		if !strings.Contains(out, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s does not show the hostile line as escaped text", name)
		}
		if name != "report --format html --no-redact" {
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("%s shows the secret %q", name, s)
				}
			}
		}
	}
	if !strings.Contains(htmlRaw, "S3cretPw0rd") {
		t.Error("report --format html --no-redact hides the secret")
	}
}

// checkTables checks that every row of every Markdown table in md has as
// many unescaped cell separators as its header.
func checkTables(t *testing.T, md string) {
	t.Helper()
	cols := -1
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			cols = -1
			continue
		}
		n := pipes(line)
		if cols < 0 {
			cols = n
			continue
		}
		if n != cols {
			t.Errorf("table row with %d cell separators, header has %d: %s", n, cols, line)
		}
	}
}

func pipes(line string) int {
	n := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n
}
