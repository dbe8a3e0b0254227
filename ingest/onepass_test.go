package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/vidbench/forensics"
	"github.com/vidbench/forensics/query"
)

// The tests here ingest into real case files through query.Writer, as the
// forensics command does (cmd/forensics/wire.go).

type testStore struct{ *query.Writer }

func (s testStore) BeginFile(ctx context.Context, src forensics.SourceFile) (FileTx, error) {
	return s.Writer.BeginFile(ctx, src)
}

// sumProgress adds up the bytes reported.
type sumProgress struct{ bytes int64 }

func (p *sumProgress) Start(int64) {}
func (p *sumProgress) Add(n int64) { p.bytes += n }
func (p *sumProgress) Rows(int64)  {}
func (p *sumProgress) Finish()     {}

// ingestInto runs one ingest of paths into the case file db.
func ingestInto(t *testing.T, db string, opts Options, paths ...string) *Result {
	t.Helper()
	ctx := context.Background()
	st, err := query.Open(ctx, db, query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w, err := st.NewWriter(ctx, "test", "UTC", forensics.TimeRange{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	res, err := Run(ctx, testStore{w}, paths, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// sqlOn runs statements on the case file db outside ingest.
func sqlOn(t *testing.T, db string, stmts ...string) {
	t.Helper()
	st, err := query.Open(context.Background(), db, query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, s := range stmts {
		if _, err := st.DB.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// sourceRow is what a source row and its rows say about one file.
type sourceRow struct {
	SHA, Head                    string
	Bytes, Lines, Rows, Rejects  int64
	Status, Problem              string
	LogRows, RejectRows, Sources int64
}

func sourceOf(t *testing.T, db, path string) sourceRow {
	t.Helper()
	st, err := query.Open(context.Background(), db, query.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var s sourceRow
	var head sql.NullString
	err = st.DB.QueryRow(`SELECT sha256, head_sha256, bytes, lines, rows, rejects, status, coalesce(problem, ''),
		(SELECT count(*) FROM logs WHERE source_id = s.id), (SELECT count(*) FROM rejects WHERE source_id = s.id),
		(SELECT count(*) FROM sources)
		FROM sources s WHERE path = ?`, path).Scan(&s.SHA, &head, &s.Bytes, &s.Lines, &s.Rows, &s.Rejects, &s.Status, &s.Problem,
		&s.LogRows, &s.RejectRows, &s.Sources)
	if err != nil {
		t.Fatalf("source %s: %v", path, err)
	}
	s.Head = head.String
	return s
}

func appLogText(lines int, seed string) string {
	var b strings.Builder
	for i := 0; i < lines; i++ {
		fmt.Fprintf(&b, "2026-11-20 14:%02d:%02d,%03d INFO [vid_bench.%s] request %d done in %d ms\n", i/60%60, i%60, i%1000, seed, i, i%97)
		if i%50 == 7 {
			b.WriteString("Traceback (most recent call last):\n  File \"x.py\", line 1\nValueError: bad\n")
		}
	}
	return b.String()
}

func accessText(lines int) string {
	var b strings.Builder
	for i := 0; i < lines; i++ {
		fmt.Fprintf(&b, `10.0.3.%d - - [20/Nov/2026:14:%02d:%02d +0000] "GET /api/v1/x/%d HTTP/1.1" 200 512 "-" "curl/8"`+"\n", i%250, i/60%60, i%60, i)
		if i%100 == 3 {
			b.WriteString("garbage that is no request line\n")
		}
	}
	return b.String()
}

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	io.WriteString(zw, s)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// decompressed is what a reader sees of a file: the gzip stream up to
// where it breaks off, or the bytes as they are.
func decompressed(t *testing.T, raw []byte) []byte {
	t.Helper()
	if len(raw) < 2 || raw[0] != 0x1f || raw[1] != 0x8b {
		return raw
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(zr)
	return b
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// actions maps each file's path to what ingest did with it.
func actions(res *Result) map[string]string {
	m := map[string]string{}
	for _, f := range res.Files {
		m[f.Path] = f.Action
	}
	return m
}

// TestOnePassSameAsHashFirst reads each file in one pass (a case that
// knows no source) and hashed first (a case whose one known source has no
// head hash, so that any file may match it): the source rows, rows and
// rejects must be the same, and the one-pass progress must add up to the
// file's size.
func TestOnePassSameAsHashFirst(t *testing.T) {
	app := appLogText(20000, "api")
	gz := gzipped(t, app)
	for _, tc := range []struct {
		name    string
		file    string
		content []byte
		status  string
	}{
		{"plain", "app.log", []byte(app), "ok"},
		{"gz", "app.log.1.gz", gz, "ok"},
		{"truncated gz", "app.log.2.gz", gz[:len(gz)/2], "partial"},
		{"access with rejects", "access.log", []byte(accessText(5000)), "ok"},
		{"small", "small.log", []byte(appLogText(3, "s")), "ok"},
		{"exactly one sample", "sample.log", []byte(app[:sampleBytes-1] + "\n"), "ok"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ev := filepath.Join(dir, "ev")
			os.MkdirAll(ev, 0o755)
			path := filepath.Join(ev, tc.file)
			writeFile(t, path, tc.content)
			other := filepath.Join(dir, "other.log")
			writeFile(t, other, []byte(appLogText(5, "other")))

			once := filepath.Join(dir, "once.duckdb")
			prog := &sumProgress{}
			ingestInto(t, once, Options{Progress: prog}, path)
			if prog.bytes != int64(len(tc.content)) {
				t.Errorf("one pass: progress %d bytes, file has %d", prog.bytes, len(tc.content))
			}

			first := filepath.Join(dir, "first.duckdb")
			ingestInto(t, first, Options{}, other)
			sqlOn(t, first, `UPDATE sources SET head_sha256 = NULL`)
			ingestInto(t, first, Options{}, path)

			a, b := sourceOf(t, once, path), sourceOf(t, first, path)
			b.Sources-- // the other file
			if a != b {
				t.Errorf("one pass and hash first differ:\n once  %+v\n first %+v", a, b)
			}
			content := decompressed(t, tc.content)
			if a.SHA != sha(content) || a.Bytes != int64(len(content)) {
				t.Errorf("sha256 %s bytes %d, content has %s and %d", a.SHA, a.Bytes, sha(content), len(content))
			}
			if a.Head != headHash(content) {
				t.Errorf("head_sha256 %s, want %s", a.Head, headHash(content))
			}
			if a.Status != tc.status || a.Rows == 0 {
				t.Errorf("status %s with %d rows, want %s", a.Status, a.Rows, tc.status)
			}
			if strings.HasPrefix(tc.name, "access") && a.Rejects == 0 {
				t.Error("no rejects counted")
			}
		})
	}
}

// TestHeadMatchHashesFirst: a file whose head matches a known source's is
// still told apart by its whole hash: the same content is unchanged (also
// renamed, rotated or compressed), a content that grew is appended, and a
// content that only shares the head is new.
func TestHeadMatchHashesFirst(t *testing.T) {
	big := appLogText(400, "big") // well past headBytes
	if len(big) < 4*headBytes {
		t.Fatalf("fixture too small: %d", len(big))
	}
	small := appLogText(3, "small") // under headBytes
	for _, tc := range []struct {
		name         string
		before       string
		after        []byte
		afterName    string
		want         string
		wantSources  int64
		keepOriginal bool
	}{
		{"unchanged", big, []byte(big), "", "unchanged", 1, false},
		{"grew", big, []byte(big + appLogText(10, "more")), "", "appended", 1, false},
		{"small grew past the head", small, []byte(small + big), "", "appended", 1, false},
		{"small grew within the head", small, []byte(small + appLogText(2, "tail")), "", "appended", 1, false},
		{"renamed", big, []byte(big), "x.log.1", "unchanged", 1, false},
		{"rotated and compressed", big, gzipped(t, big), "x.log.2.gz", "unchanged", 1, false},
		{"same head, other content", big, []byte(big[:2*headBytes] + appLogText(30, "other")), "", "new", 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "c.duckdb")
			path := filepath.Join(dir, "x.log")
			writeFile(t, path, []byte(tc.before))
			ingestInto(t, db, Options{}, path)

			next := path
			if tc.afterName != "" {
				next = filepath.Join(dir, tc.afterName)
				os.Remove(path)
			}
			writeFile(t, next, tc.after)
			res := ingestInto(t, db, Options{}, next)
			if got := actions(res)[next]; got != tc.want {
				t.Fatalf("%s: %s, want %s (%+v)", tc.afterName, got, tc.want, res.Files)
			}
			s := sourceOf(t, db, path)
			if s.Sources != tc.wantSources {
				t.Errorf("%d sources, want %d", s.Sources, tc.wantSources)
			}
			// The source row follows the content: a later ingest of the same
			// file finds it again by its head and its hash.
			content := decompressed(t, tc.after)
			if tc.want == "appended" && (s.SHA != sha(content) || s.Head != headHash(content)) {
				t.Errorf("appended source keeps sha %s head %s, content has %s %s", s.SHA, s.Head, sha(content), headHash(content))
			}
			res = ingestInto(t, db, Options{}, next)
			if got := actions(res)[next]; got != "unchanged" {
				t.Errorf("ingest again: %s, want unchanged", got)
			}
		})
	}
}

// TestOldCaseFileRecognisesItsFiles: a case file from before schema 8
// (no head_sha256 column; after migrating, NULL) still finds its files by
// their whole hash, and a source read again gains its head hash.
func TestOldCaseFileRecognisesItsFiles(t *testing.T) {
	dir := t.TempDir()
	ev := filepath.Join(dir, "ev")
	os.MkdirAll(ev, 0o755)
	same := filepath.Join(ev, "same.log")
	grows := filepath.Join(ev, "grows.log")
	app := appLogText(300, "a")
	writeFile(t, same, []byte(app))
	writeFile(t, grows, []byte(appLogText(300, "b")))
	db := filepath.Join(dir, "c.duckdb")
	ingestInto(t, db, Options{}, ev)
	// Back to schema 7, as an older build left the file.
	sqlOn(t, db, `ALTER TABLE sources DROP COLUMN head_sha256`,
		`DELETE FROM schema_migrations WHERE version = 8`, `DELETE FROM column_docs WHERE column_name = 'head_sha256'`)

	writeFile(t, grows, []byte(appLogText(300, "b")+appLogText(5, "c")))
	gz := filepath.Join(ev, "same.log.1.gz")
	writeFile(t, gz, gzipped(t, app))
	res := ingestInto(t, db, Options{}, ev)
	want := map[string]string{same: "unchanged", gz: "unchanged", grows: "appended"}
	if got := actions(res); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("actions %v, want %v", got, want)
	}
	if s := sourceOf(t, db, grows); s.Head == "" || s.Sources != 2 {
		t.Errorf("after reading it again: %+v", s)
	}
	if s := sourceOf(t, db, same); s.Head != "" {
		t.Errorf("an unchanged source was rewritten: %+v", s)
	}
	res = ingestInto(t, db, Options{}, ev)
	for _, f := range res.Files {
		if f.Action != "unchanged" {
			t.Errorf("third ingest: %s %s", f.Path, f.Action)
		}
	}
}

// earlyReader reads only the first bytes of a file, as readers that stop
// early do (psql after its table, note at its limit).
type earlyReader struct{}

func (earlyReader) Kind() string { return "early" }
func (earlyReader) Sniff(s *Sample) int {
	if bytes.HasPrefix(s.Head, []byte("EARLY")) {
		return 100
	}
	return 0
}
func (earlyReader) Read(ctx context.Context, in *Input) error {
	b := make([]byte, 16)
	n, _ := io.ReadFull(in.R, b)
	return in.Note(&forensics.Note{Text: string(b[:n]), Lines: 1})
}

// TestEarlyStopHashesAll: the source row of a file whose reader stopped
// early holds the hash and size of the whole content, so the file is
// found again next time.
func TestEarlyStopHashesAll(t *testing.T) {
	for _, size := range []int{100, headBytes, sampleBytes + 1, 3*hashChunk + 5} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "early.txt")
			content := []byte("EARLY" + strings.Repeat("0123456789abcdef\n", size/17+1))[:size]
			writeFile(t, path, content)
			db := filepath.Join(dir, "c.duckdb")
			opts := Options{Readers: []Reader{earlyReader{}}}
			ingestInto(t, db, opts, path)
			s := sourceOf(t, db, path)
			if s.SHA != sha(content) || s.Bytes != int64(size) || s.Head != headHash(content) {
				t.Errorf("source %+v, content sha %s size %d", s, sha(content), size)
			}
			res := ingestInto(t, db, opts, path)
			if got := actions(res)[path]; got != "unchanged" {
				t.Errorf("again: %s", got)
			}
		})
	}
}

// TestHashingReader: whatever the read sizes and wherever the reader
// stops, the hash and size are those of the whole content.
func TestHashingReader(t *testing.T) {
	ctx := context.Background()
	for _, size := range []int{0, 1, hashChunk - 1, hashChunk, hashChunk + 1, 7*hashChunk + 13} {
		content := bytes.Repeat([]byte("abcdefghij"), size/10+1)[:size]
		for _, tc := range []struct {
			name string
			read func(r io.Reader)
		}{
			{"all", func(r io.Reader) { io.Copy(io.Discard, r) }},
			{"one byte at a time", func(r io.Reader) { io.Copy(io.Discard, iotest.OneByteReader(io.LimitReader(r, 3000))) }},
			{"none", func(io.Reader) {}},
			{"some", func(r io.Reader) { io.CopyN(io.Discard, r, int64(size/3)) }},
		} {
			t.Run(fmt.Sprintf("%d/%s", size, tc.name), func(t *testing.T) {
				h := newHashingReader(bytes.NewReader(content))
				tc.read(h)
				if err := h.drain(ctx); err != nil {
					t.Fatal(err)
				}
				s, n := h.finish()
				if s != sha(content) || n != int64(size) || h.err != nil {
					t.Errorf("sha %s size %d err %v, want %s %d", s, n, h.err, sha(content), size)
				}
			})
		}
	}
	// A stream that breaks off: the error is kept, the bytes before it hashed.
	broken := errors.New("unexpected EOF in gzip stream")
	content := bytes.Repeat([]byte("x"), hashChunk+100)
	h := newHashingReader(io.MultiReader(bytes.NewReader(content), iotest.ErrReader(broken)))
	io.CopyN(io.Discard, h, 10)
	h.drain(ctx)
	if s, n := h.finish(); s != sha(content) || n != int64(len(content)) || !errors.Is(h.err, broken) {
		t.Errorf("broken stream: sha %s size %d err %v", s, n, h.err)
	}
}

// TestMayMatch: which known sources make a file be hashed whole first.
func TestMayMatch(t *testing.T) {
	content := []byte(appLogText(200, "m"))
	src := func(b []byte, size int64) forensics.SourceFile {
		return forensics.SourceFile{HeadSHA256: headHash(b), Bytes: size}
	}
	for _, tc := range []struct {
		name  string
		known []forensics.SourceFile
		want  bool
	}{
		{"none known", nil, false},
		{"same content", []forensics.SourceFile{src(content, int64(len(content)))}, true},
		{"a short prefix", []forensics.SourceFile{src(content[:100], 100)}, true},
		{"a long prefix", []forensics.SourceFile{src(content[:headBytes+5], headBytes+5)}, true},
		{"another file", []forensics.SourceFile{src([]byte(appLogText(200, "n")), 9999)}, false},
		{"a short other file", []forensics.SourceFile{src([]byte("hello\n"), 6)}, false},
		{"no head hash (older build)", []forensics.SourceFile{{SHA256: "x", Bytes: 10}}, true},
		{"no content", []forensics.SourceFile{{Bytes: 0}}, false},
		{"one of several", []forensics.SourceFile{src([]byte("hello\n"), 6), src(content[:10], 10)}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := mayMatch(tc.known, content); got != tc.want {
				t.Errorf("mayMatch = %v, want %v", got, tc.want)
			}
		})
	}
	// A file shorter than a known source cannot be it or have grown from it.
	if mayMatch([]forensics.SourceFile{src(content[:200], 200)}, content[:150]) {
		t.Error("a shorter file matched")
	}
}

// TestReadHeadAsHashContent: the head read before deciding is the sample
// the hash pass takes, so both paths pick the same reader.
func TestReadHeadAsHashContent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	text := appLogText(5000, "h")
	for _, size := range []int{1, headBytes, sampleBytes - 1, sampleBytes, sampleBytes + 1, 3 * sampleBytes} {
		for _, gz := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d/gz=%v", size, gz), func(t *testing.T) {
				b := []byte(text[:size])
				if gz {
					b = gzipped(t, text[:size])
				}
				path := filepath.Join(dir, fmt.Sprintf("f%d-%v", size, gz))
				writeFile(t, path, b)
				h, err := readHead(ctx, path)
				if err != nil {
					t.Fatal(err)
				}
				defer h.rc.Close()
				c, err := hashContent(ctx, path, nil)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(h.sample, c.head) || h.full != c.full || h.compressed != c.compressed || h.err != nil {
					t.Errorf("head %d bytes full=%v gz=%v err=%v; hash pass %d full=%v gz=%v", len(h.sample), h.full, h.compressed, h.err, len(c.head), c.full, c.compressed)
				}
				all, _ := io.ReadAll(h.content())
				if !bytes.Equal(all, []byte(text[:size])) {
					t.Errorf("content read after the head: %d bytes, want %d", len(all), size)
				}
			})
		}
	}
}

// TestEarlyStopOnDamagedStream: a reader that stops early does not see a
// gzip stream break off later; the break still makes the source partial,
// as the hash pass's read error does.
func TestEarlyStopOnDamagedStream(t *testing.T) {
	dir := t.TempDir()
	gz := gzipped(t, "EARLY"+appLogText(20000, "d"))
	path := filepath.Join(dir, "early.gz")
	writeFile(t, path, gz[:len(gz)/2])
	opts := Options{Readers: []Reader{earlyReader{}}}
	once := filepath.Join(dir, "once.duckdb")
	ingestInto(t, once, opts, path)
	first := filepath.Join(dir, "first.duckdb")
	other := filepath.Join(dir, "other.txt")
	writeFile(t, other, []byte("EARLY other\n"))
	ingestInto(t, first, opts, other)
	sqlOn(t, first, `UPDATE sources SET head_sha256 = NULL`)
	ingestInto(t, first, opts, path)
	a, b := sourceOf(t, once, path), sourceOf(t, first, path)
	b.Sources--
	if a != b || a.Status != "partial" || !strings.Contains(a.Problem, "unexpected EOF") {
		t.Errorf("one pass and hash first:\n once  %+v\n first %+v", a, b)
	}
}
