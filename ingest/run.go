// Package ingest turns a case folder into rows: it walks files and folders,
// decompresses .gz transparently, sniffs each file by its content, picks a
// reader from one explicit registry, and streams the reader's rows into the
// store, one transaction per file. Ingest is idempotent by the sha256 of the
// decompressed content: the same file twice adds nothing, a file that only
// grew adds its new part, and a wider --since/--until window adds only what
// an earlier, narrower one left out. A file whose head matches no known
// source's head is new, and is hashed as it is read rather than before.
// Every text line read is accounted for: part of a row (or of a structure
// row such as a snapshot's repeated CSV header, which sources.rows leaves
// out), a counted reject with its reason, or outside the window. Every
// reader reads a time without a zone in --tz (the host's local time; UTC
// when not given) and a time with Z, an offset or a known zone name as
// given.
package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/vidbench/forensics"
)

// Store is what ingest needs of the case database.
type Store interface {
	KnownSources(ctx context.Context) ([]forensics.SourceFile, error)
	BeginFile(ctx context.Context, src forensics.SourceFile) (FileTx, error)
	LoadTemplates(ctx context.Context) ([]forensics.Template, error)
	SaveTemplates(ctx context.Context, ts []forensics.Template) error
	MarkDuplicates(ctx context.Context) (int64, error)
	AddIssue(ctx context.Context, is forensics.Issue) error
}

// FileTx receives one file's rows; Commit makes them visible at once,
// Rollback leaves no trace of the file.
type FileTx interface {
	Sink
	Commit(src forensics.SourceFile, pass forensics.Pass) error
	Rollback() error
}

// Miner assigns template ids to log messages (see package templates).
type Miner interface {
	Add(message string) uint32
	Templates() []forensics.Template
	Restore(ts []forensics.Template)
}

// MaskingMiner is a Miner whose masking step can run apart from the
// rest (in the reader's goroutine), which balances the pipeline.
type MaskingMiner interface {
	Miner
	NewMasker() func(dst []byte, message string) []byte
	AddMasked(masked []byte) uint32
}

// Progress is told how far ingest has got (bytes of the files on disk).
type Progress interface {
	Start(totalBytes int64)
	Add(bytes int64)
	Rows(rows int64)
	Finish()
}

// Options configure a run.
type Options struct {
	TZ       *time.Location      // for zone-less stamps; UTC when nil
	Window   forensics.TimeRange // --since/--until
	Readers  []Reader            // nil: Readers()
	Miner    Miner
	Progress Progress
	Logger   *slog.Logger
	// Skip leaves out files such as the case database itself.
	Skip func(absPath string) bool
}

// Problem is a file or folder that yielded nothing, or only part.
type Problem struct {
	Path     string
	Severity string // skipped, error, warning
	Err      error
	Hint     string
}

func (p Problem) String() string {
	s := p.Path + ": " + p.Err.Error()
	if p.Hint != "" {
		s += " (" + p.Hint + ")"
	}
	return s
}

// FileResult is what happened to one file.
type FileResult struct {
	Path     string
	Kind     string
	Action   string // new, appended, widened, unchanged, skipped, partial, failed
	SourceID int64
	Stats    Stats
	Note     string
}

// Result sums up a run.
type Result struct {
	Files      []FileResult
	Problems   []Problem
	Rows       int64
	Duplicates int64
	Templates  int
	Elapsed    time.Duration
}

// Partial reports whether some file or folder yielded nothing because it
// could not be read, while the rest was ingested (exit code 3).
func (r *Result) Partial() bool {
	for _, p := range r.Problems {
		if p.Severity == "error" {
			return true
		}
	}
	return false
}

// Run ingests paths into st.
func Run(ctx context.Context, st Store, paths []string, opts Options) (*Result, error) {
	start := time.Now()
	if opts.TZ == nil {
		opts.TZ = time.UTC
	}
	if opts.Readers == nil {
		opts.Readers = Readers()
	}
	if err := checkRegistry(opts.Readers); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	files, probs := walk(paths, opts.Skip, func(dir string) DirReader { return pickDir(opts.Readers, dir) })
	res := &Result{Problems: probs}
	known, err := st.KnownSources(ctx)
	if err != nil {
		return nil, fmt.Errorf("read known sources: %w", err)
	}
	if opts.Miner != nil {
		ts, err := st.LoadTemplates(ctx)
		if err != nil {
			return nil, fmt.Errorf("load templates: %w", err)
		}
		opts.Miner.Restore(ts)
	}
	var total int64
	for _, f := range files {
		total += f.info.Size()
	}
	if opts.Progress != nil {
		opts.Progress.Start(total)
		defer opts.Progress.Finish()
	}
	r := &runner{st: st, opts: opts, known: known, res: res}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		var fr FileResult
		var err error
		if f.dir != nil {
			fr, err = r.dir(ctx, f)
		} else {
			fr, err = r.file(ctx, f)
		}
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			return res, err
		}
		res.Files = append(res.Files, fr)
	}
	for _, p := range res.Problems {
		if err := st.AddIssue(ctx, forensics.Issue{Path: p.Path, Severity: p.Severity, Problem: p.String()}); err != nil {
			return res, err
		}
	}
	if opts.Miner != nil && res.Rows > 0 {
		ts := opts.Miner.Templates()
		res.Templates = len(ts)
		if err := st.SaveTemplates(ctx, ts); err != nil {
			return res, fmt.Errorf("save templates: %w", err)
		}
	}
	if res.Rows > 0 {
		n, err := st.MarkDuplicates(ctx)
		if err != nil {
			return res, err
		}
		res.Duplicates = n
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

type runner struct {
	st    Store
	opts  Options
	known []forensics.SourceFile
	res   *Result
	rows  int64
}

// content is what the hashing pass learned about a file.
type content struct {
	sha        string
	size       int64
	prefix     map[int64]string // sha256 of the first n bytes, for candidate n
	head       []byte
	full       bool // head holds the whole content
	compressed bool
	readErr    error // a truncated gzip stream, an I/O error
}

// open opens path for reading its decompressed content, and says whether
// it is gzip-compressed.
func open(path string) (io.ReadCloser, bool, error) { return openCounted(path, nil) }

// openCounted is open, with the bytes read from the file on disk counted
// by disk when it is not nil.
func openCounted(path string, disk *countingReader) (io.ReadCloser, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	var raw io.Reader = f
	if disk != nil {
		disk.r = f
		raw = disk
	}
	br := bufio.NewReaderSize(raw, 1<<20)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, true, fmt.Errorf("gzip header: %w", err)
		}
		return readCloser{zr, f}, true, nil
	}
	return readCloser{br, f}, false, nil
}

type readCloser struct {
	io.Reader
	c io.Closer
}

func (r readCloser) Close() error { return r.c.Close() }

// hashContent reads the decompressed content once: its sha256, its size,
// the sha256 of each candidate prefix, and the head sample.
func hashContent(ctx context.Context, path string, candidates []int64) (*content, error) {
	rc, gz, err := open(path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	c := &content{prefix: map[int64]string{}, compressed: gz}
	h := sha256.New()
	buf := make([]byte, 1<<20)
	var pos int64
	sort.Slice(candidates, func(i, j int) bool { return candidates[i] < candidates[j] })
	ci := 0
	for ci < len(candidates) && candidates[ci] <= 0 {
		ci++
	}
	snap := func(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, rerr := rc.Read(buf)
		chunk := buf[:n]
		if len(c.head) < sampleBytes {
			take := min(sampleBytes-len(c.head), len(chunk))
			c.head = append(c.head, chunk[:take]...)
		}
		for ci < len(candidates) && candidates[ci] <= pos+int64(len(chunk)) {
			cut := candidates[ci] - pos
			h.Write(chunk[:cut])
			c.prefix[candidates[ci]] = snap(h)
			chunk = chunk[cut:]
			pos += cut
			ci++
		}
		h.Write(chunk)
		pos += int64(len(chunk))
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			c.readErr = rerr
			break
		}
	}
	c.sha = snap(h)
	c.size = pos
	c.full = int64(len(c.head)) == pos
	return c, nil
}

// countingReader counts the bytes read from the file on disk and, once
// told to, reports them as progress. A file read in one pass counts there,
// under the decompression: its decompressed size, which progressReader
// scales by, is known only at the end.
type countingReader struct {
	r io.Reader
	n int64
	p Progress
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	if c.p != nil {
		c.p.Add(int64(n))
	}
	return n, err
}

// report makes c report to p (which may be nil) from now on, starting
// with what it counted before.
func (c *countingReader) report(p Progress) {
	c.p = p
	if p != nil {
		p.Add(c.n)
	}
}

// file ingests one file. Its head decides how: when the head of some
// known source agrees with it, only the whole content's hash tells
// whether the file is that source again, grew from it, or is new, so the
// file is hashed first and read after (hashThenRead). Otherwise the file
// is new and is read once, hashed as it is parsed (readOnce).
func (r *runner) file(ctx context.Context, f file) (FileResult, error) {
	fr := FileResult{Path: f.path}
	if f.info.Size() == 0 {
		fr.Action, fr.Note = "skipped", "empty file"
		return fr, nil
	}
	h, err := readHead(ctx, f.path)
	if err != nil {
		return r.unopened(ctx, f, err)
	}
	if h.err != nil || mayMatch(r.known, h.sample) {
		// A damaged head is also left to the hash pass, which reports it
		// as it always has.
		h.rc.Close()
		return r.hashThenRead(ctx, f)
	}
	defer h.rc.Close()
	return r.readOnce(ctx, f, h)
}

// unopened reports a file that cannot be opened or whose gzip header is
// damaged.
func (r *runner) unopened(ctx context.Context, f file, err error) (FileResult, error) {
	fr := FileResult{Path: f.path}
	if ctx.Err() != nil {
		return fr, ctx.Err()
	}
	r.problem(f.path, "error", err, "the file cannot be opened or is not valid gzip; check it, or leave it out of the case")
	fr.Action, fr.Note = "failed", err.Error()
	r.progress(f.info.Size())
	return fr, nil
}

// progress reports n bytes of files on disk done.
func (r *runner) progress(n int64) {
	if r.opts.Progress != nil {
		r.opts.Progress.Add(n)
	}
}

// pickReader picks the reader for the file's sample; nil when none claims
// it, with the file reported as skipped in fr.
func (r *runner) pickReader(f file, s *Sample, fr *FileResult) Reader {
	rd, why := pick(r.opts.Readers, s)
	if rd == nil {
		r.problem(f.path, "skipped", errors.New(why), "")
		fr.Action, fr.Note = "skipped", why
		r.progress(f.info.Size())
		return nil
	}
	fr.Kind = rd.Kind()
	return rd
}

// plan is what is still to be read of a file, and into which source.
type plan struct {
	src            forensics.SourceFile
	passes         []forensics.Pass // earlier passes over the same content
	from, fromLine int64            // bytes and lines already read (an appended part)
	action         string
}

// readOnce reads a file that no known source can match: a new source,
// read and hashed in one pass over the content.
func (r *runner) readOnce(ctx context.Context, f file, h *opened) (FileResult, error) {
	fr := FileResult{Path: f.path}
	if h.full && len(h.sample) == 0 {
		fr.Action, fr.Note = "skipped", "empty after decompression"
		r.progress(f.info.Size())
		return fr, nil
	}
	rd := r.pickReader(f, newSample(f.path, h.sample, h.full), &fr)
	if rd == nil {
		return fr, nil
	}
	h.disk.report(r.opts.Progress)
	hr := newHashingReader(h.content())
	defer hr.finish() // ends the hash goroutine on every path
	p := plan{action: "new", src: forensics.SourceFile{
		Kind: rd.Kind(), Path: f.path, HeadSHA256: headHash(h.sample), FileBytes: f.info.Size(),
		Compressed: h.compressed, MTime: f.info.ModTime().UTC(),
	}}
	settle := func(ctx context.Context, src *forensics.SourceFile) error {
		err := hr.drain(ctx)
		src.SHA256, src.Bytes = hr.finish()
		// The bar ends at the file's size also when reading stopped early
		// (a damaged gzip stream).
		if rest := f.info.Size() - h.disk.n; rest > 0 {
			r.progress(rest)
		}
		if err != nil {
			return err
		}
		return hr.err
	}
	return r.read(ctx, f, fr, rd, p, hr, settle)
}

// hashThenRead hashes the whole content first, to tell whether the file
// is a known source again (skipped, or re-read for a wider window), a
// known source that grew (only the new part is read), or new; then reads
// what is left to read.
func (r *runner) hashThenRead(ctx context.Context, f file) (FileResult, error) {
	fr := FileResult{Path: f.path}
	var cands []int64
	for _, k := range r.known {
		if k.Bytes > 0 {
			cands = append(cands, k.Bytes)
		}
	}
	c, err := hashContent(ctx, f.path, cands)
	if err != nil {
		return r.unopened(ctx, f, err)
	}
	if c.size == 0 {
		fr.Action, fr.Note = "skipped", "empty after decompression"
		r.progress(f.info.Size())
		return fr, nil
	}
	rd := r.pickReader(f, newSample(f.path, c.head, c.full), &fr)
	if rd == nil {
		return fr, nil
	}

	// Which part of the content, under which window, is still to be read?
	p := plan{action: "new", src: forensics.SourceFile{
		Kind: rd.Kind(), Path: f.path, SHA256: c.sha, HeadSHA256: headHash(c.head), Bytes: c.size, FileBytes: f.info.Size(),
		Compressed: c.compressed, MTime: f.info.ModTime().UTC(),
	}}
	w := r.opts.Window
	if k := r.exact(c); k != nil {
		if k.HeadSHA256 == "" {
			// A source from an older build: the same content has the same
			// head, and later files of this run need not be hashed first
			// for it.
			k.HeadSHA256 = p.src.HeadSHA256
		}
		if covered(k.Passes, c.size, w) {
			fr.Action, fr.SourceID = "unchanged", k.ID
			fr.Note = "already ingested"
			if k.Path != f.path {
				fr.Note += " as " + k.Path
			}
			r.progress(f.info.Size())
			return fr, nil
		}
		p.src.ID, p.src.Kind, p.passes, p.action = k.ID, k.Kind, k.Passes, "widened"
	} else if k := r.grown(c); k != nil && !readsWhole(r.opts.Readers, rd.Kind(), k.Kind) {
		p.src.ID, p.src.Kind, p.passes, p.action = k.ID, k.Kind, k.Passes, "appended"
		if covered(k.Passes, k.Bytes, w) {
			p.from, p.fromLine = k.Bytes, k.Lines
		}
	}
	if p.src.Kind != rd.Kind() {
		for _, x := range r.opts.Readers {
			if x.Kind() == p.src.Kind {
				rd = x
			}
		}
	}

	rc, _, err := open(f.path)
	if err != nil {
		r.problem(f.path, "error", err, "")
		fr.Action, fr.SourceID = "failed", p.src.ID
		return fr, nil
	}
	defer rc.Close()
	var body io.Reader = rc
	if r.opts.Progress != nil {
		body = progressReader{rc, r.opts.Progress, f.info.Size(), c.size}
	}
	if p.from > 0 {
		if _, err := io.CopyN(io.Discard, body, p.from); err != nil {
			r.problem(f.path, "error", err, "")
			fr.Action, fr.SourceID = "failed", p.src.ID
			return fr, nil
		}
	}
	settle := func(context.Context, *forensics.SourceFile) error { return c.readErr }
	return r.read(ctx, f, fr, rd, p, body, settle)
}

// read runs reader rd over body into the plan's source, in one
// transaction. settle is called once the reader has returned: it
// completes the source row (a file read in one pass learns its sha256 and
// size only then) and returns the content's own read error (a truncated
// gzip stream), which counts when the reader reported none.
func (r *runner) read(ctx context.Context, f file, fr FileResult, rd Reader, p plan,
	body io.Reader, settle func(ctx context.Context, src *forensics.SourceFile) error) (FileResult, error) {
	src, passes, from, fromLine, action := p.src, p.passes, p.from, p.fromLine, p.action
	fr.SourceID = src.ID
	w := r.opts.Window
	tx, err := r.st.BeginFile(ctx, src)
	if err != nil {
		return fr, fmt.Errorf("begin %s: %w", f.path, err)
	}
	keep := func(ts time.Time, off int64) bool {
		if !w.Contains(ts) {
			return false
		}
		for _, p := range passes {
			if off >= p.FromByte && off < p.ToByte && p.Window.Contains(ts) {
				return false
			}
		}
		return true
	}
	in := &Input{
		Path: f.path, R: body, StartLine: fromLine, StartOffset: from, TZ: r.opts.TZ,
		Ref: f.info.ModTime(), Service: serviceFromPath(f.path), Keep: keep, Sink: countingSink{tx, r},
	}
	if w.IsZero() && len(passes) == 0 {
		in.Keep = nil
	}
	if len(passes) > 0 {
		in.Seen = func(off int64) bool {
			for _, p := range passes {
				if off >= p.FromByte && off < p.ToByte {
					return true
				}
			}
			return false
		}
	}
	if r.opts.Miner != nil {
		in.Template = r.opts.Miner.Add
		if mm, ok := r.opts.Miner.(MaskingMiner); ok {
			in.Mask = mm.NewMasker()
			in.TemplateMasked = mm.AddMasked
		}
	}
	st := startStage(in)
	rerr := safeRead(ctx, rd, in)
	// settled while the second stage works off what the reader left it
	streamErr := settle(ctx, &src)
	if err := st.finish(); err != nil && rerr == nil {
		rerr = err
	}
	if rerr == nil {
		rerr = streamErr
	}
	stats := in.Stats
	fr.Stats = stats
	for _, w := range in.Warnings {
		r.problem(f.path, "warning", errors.New(w), "")
	}
	if rerr != nil {
		if ctx.Err() != nil {
			tx.Rollback()
			return fr, ctx.Err()
		}
		var skip *SkipError
		if errors.As(rerr, &skip) && stats.Rows == 0 {
			tx.Rollback()
			r.problem(f.path, "skipped", errors.New(skip.Reason), skip.Hint)
			fr.Action, fr.Note = "skipped", skip.Reason
			return fr, nil
		}
		if stats.Rows == 0 {
			tx.Rollback()
			r.problem(f.path, "error", rerr, "the file could not be read; check it (a truncated or damaged file?)")
			fr.Action, fr.Note = "failed", rerr.Error()
			return fr, nil
		}
		src.Status = "partial"
		src.Problem = fmt.Sprintf("read stopped after line %d: %v", fromLine+stats.Lines, rerr)
		r.problem(f.path, "warning", errors.New(src.Problem), "the rows before the damage were ingested")
		action = "partial"
	}
	pass := forensics.Pass{
		FromByte: from, ToByte: src.Bytes, FromLine: fromLine, ToLine: fromLine + stats.Lines, Window: w,
		Rows: stats.Rows, Rejects: stats.Rejects, Filtered: stats.Filtered, Continuations: stats.Continuations,
		FirstTS: stats.FirstTS, LastTS: stats.LastTS,
	}
	if err := tx.Commit(src, pass); err != nil {
		return fr, err
	}
	if action != "partial" && stats.Rows == 0 && stats.Rejects == 0 && action != "new" {
		action = "unchanged"
	}
	fr.Action = action
	r.res.Rows += stats.Rows
	// Remember the source so later files in this run are matched against it.
	r.remember(src, tx, pass)
	return fr, nil
}

// SkipError is what a reader returns when it cannot read a file for a
// reason outside the evidence (a system library missing at run time): the
// file is reported as skipped with the reason and hint, and left out of
// the case, so that a later ingest reads it once the cause is fixed.
type SkipError struct {
	Reason string
	Hint   string
}

func (e *SkipError) Error() string { return e.Reason }

// safeRead runs a reader, turning a panic into an error so that one bad
// file never takes the run down.
func safeRead(ctx context.Context, rd Reader, in *Input) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("reader %s crashed: %v (please report this with the file)", rd.Kind(), p)
		}
	}()
	return rd.Read(ctx, in)
}

func (r *runner) remember(src forensics.SourceFile, tx FileTx, pass forensics.Pass) {
	id := src.ID
	if id == 0 {
		if s, ok := tx.(interface{ Source() int64 }); ok {
			id = s.Source()
		}
	}
	for i := range r.known {
		if r.known[i].ID == id && id != 0 {
			r.known[i].SHA256, r.known[i].Bytes = src.SHA256, src.Bytes
			if src.HeadSHA256 != "" {
				r.known[i].HeadSHA256 = src.HeadSHA256
			}
			r.known[i].Lines = max(r.known[i].Lines, pass.ToLine)
			r.known[i].Passes = append(r.known[i].Passes, pass)
			return
		}
	}
	src.ID = id
	src.Lines = pass.ToLine
	src.Passes = []forensics.Pass{pass}
	r.known = append(r.known, src)
}

func (r *runner) problem(path, sev string, err error, hint string) {
	r.res.Problems = append(r.res.Problems, Problem{Path: path, Severity: sev, Err: err, Hint: hint})
	r.opts.Logger.Warn("ingest problem", "path", path, "severity", sev, "err", err)
}

func (r *runner) exact(c *content) *forensics.SourceFile {
	for i := range r.known {
		if r.known[i].SHA256 == c.sha && r.known[i].Bytes == c.size {
			return &r.known[i]
		}
	}
	return nil
}

func (r *runner) grown(c *content) *forensics.SourceFile {
	var best *forensics.SourceFile
	for i := range r.known {
		k := &r.known[i]
		if k.Bytes > 0 && k.Bytes < c.size && c.prefix[k.Bytes] == k.SHA256 {
			if best == nil || k.Bytes > best.Bytes {
				best = k
			}
		}
	}
	return best
}

// covered reports whether passes read all of [0,size) under windows that
// each cover w.
func covered(passes []forensics.Pass, size int64, w forensics.TimeRange) bool {
	var iv [][2]int64
	for _, p := range passes {
		if p.Window.Covers(w) {
			iv = append(iv, [2]int64{p.FromByte, p.ToByte})
		}
	}
	sort.Slice(iv, func(i, j int) bool { return iv[i][0] < iv[j][0] })
	var reach int64
	for _, x := range iv {
		if x[0] > reach {
			return false
		}
		reach = max(reach, x[1])
	}
	return reach >= size
}

// countingSink forwards to the file's transaction and reports rows.
type countingSink struct {
	FileTx
	r *runner
}

func (c countingSink) Log(rec *forensics.LogRecord) error {
	c.tick()
	return c.FileTx.Log(rec)
}

func (c countingSink) HTTP(req *forensics.HTTPRequest) error {
	c.tick()
	return c.FileTx.HTTP(req)
}

func (c countingSink) Emit(r forensics.Record) error {
	c.tick()
	return c.FileTx.Emit(r)
}

func (c countingSink) tick() {
	c.r.rows++
	if c.r.opts.Progress != nil && c.r.rows&4095 == 0 {
		c.r.opts.Progress.Rows(c.r.rows)
	}
}

// progressReader reports progress in bytes of the file on disk, scaling
// decompressed bytes for .gz files.
type progressReader struct {
	r          io.Reader
	p          Progress
	disk, size int64
}

func (p progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		if p.size > 0 && p.disk != p.size {
			p.p.Add(int64(float64(n) * float64(p.disk) / float64(p.size)))
		} else {
			p.p.Add(int64(n))
		}
	}
	return n, err
}

// dir ingests a directory that a DirReader claims whole, as one source:
// its hash covers every file in it, so an unchanged copy is not read
// twice, and a wider --since/--until adds only what earlier passes left
// out. A directory that changed is read as a new source.
func (r *runner) dir(ctx context.Context, f file) (FileResult, error) {
	rd := f.dir
	fr := FileResult{Path: f.path, Kind: rd.Kind()}
	sha, headSHA, size, err := hashDir(ctx, f.path)
	if err != nil {
		if ctx.Err() != nil {
			return fr, ctx.Err()
		}
		r.problem(f.path, "error", err, "a file in the directory cannot be read; check the permissions of the evidence folder")
		fr.Action, fr.Note = "failed", err.Error()
		return fr, nil
	}
	if r.opts.Progress != nil {
		defer r.opts.Progress.Add(size)
	}
	src := forensics.SourceFile{Kind: rd.Kind(), Path: f.path, SHA256: sha, HeadSHA256: headSHA, Bytes: size, FileBytes: size, MTime: f.info.ModTime().UTC()}
	var passes []forensics.Pass
	action := "new"
	w := r.opts.Window
	if k := r.exact(&content{sha: sha, size: size}); k != nil {
		if covered(k.Passes, size, w) {
			fr.Action, fr.SourceID, fr.Note = "unchanged", k.ID, "already ingested"
			if k.Path != f.path {
				fr.Note += " as " + k.Path
			}
			return fr, nil
		}
		src.ID, passes, action = k.ID, k.Passes, "widened"
	}
	fr.SourceID = src.ID
	tx, err := r.st.BeginFile(ctx, src)
	if err != nil {
		return fr, fmt.Errorf("begin %s: %w", f.path, err)
	}
	in := &Input{Path: f.path, TZ: r.opts.TZ, Ref: f.info.ModTime(), Service: rd.Kind(), Sink: countingSink{tx, r}}
	if !w.IsZero() || len(passes) > 0 {
		in.Keep = func(ts time.Time, _ int64) bool {
			if !w.Contains(ts) {
				return false
			}
			for _, p := range passes {
				if p.Window.Contains(ts) {
					return false
				}
			}
			return true
		}
	}
	st := startStage(in)
	rep, rerr := safeReadDir(ctx, rd, in, w)
	if err := st.finish(); err != nil && rerr == nil {
		rerr = err
	}
	stats := in.Stats
	fr.Stats, fr.Note = stats, rep.Note
	for _, p := range rep.Problems {
		r.problem(p.Path, p.Severity, p.Err, p.Hint)
	}
	for _, w := range in.Warnings {
		r.problem(f.path, "warning", errors.New(w), "")
	}
	if rerr != nil {
		if ctx.Err() != nil {
			tx.Rollback()
			return fr, ctx.Err()
		}
		if stats.Rows == 0 {
			tx.Rollback()
			r.problem(f.path, "error", rerr, "the directory could not be read; check it (a damaged or incomplete copy?)")
			fr.Action, fr.Note = "failed", rerr.Error()
			return fr, nil
		}
		src.Status = "partial"
		src.Problem = fmt.Sprintf("read stopped after %d rows: %v", stats.Rows, rerr)
		r.problem(f.path, "warning", errors.New(src.Problem), "the rows before the damage were ingested")
		action = "partial"
	}
	for _, p := range rep.Problems {
		if p.Severity == "error" && src.Status == "" {
			src.Status, src.Problem = "partial", p.String()
		}
	}
	pass := forensics.Pass{ToByte: size, Window: w, Rows: stats.Rows, Rejects: stats.Rejects, Filtered: stats.Filtered, FirstTS: stats.FirstTS, LastTS: stats.LastTS}
	if err := tx.Commit(src, pass); err != nil {
		return fr, err
	}
	if action == "widened" && stats.Rows == 0 {
		action = "unchanged"
	}
	fr.Action = action
	r.res.Rows += stats.Rows
	r.remember(src, tx, pass)
	return fr, nil
}

// safeReadDir runs a DirReader, turning a panic into an error.
func safeReadDir(ctx context.Context, rd DirReader, in *Input, w forensics.TimeRange) (rep DirReport, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("reader %s crashed: %v (please report this with the directory)", rd.Kind(), p)
		}
	}()
	return rd.ReadDir(ctx, in, w)
}

// hashDir is the content hash of a directory read whole: the sha256 over
// every regular file's path (relative, slash-separated, sorted), size and
// sha256, and the head hash of that list. Hidden files count too; size is
// the sum of the files' sizes.
func hashDir(ctx context.Context, root string) (sha, headSHA string, size int64, err error) {
	type ent struct {
		rel  string
		size int64
		sha  string
	}
	var ents []ent
	buf := make([]byte, 1<<20)
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		h := sha256.New()
		n, err := io.CopyBuffer(h, f, buf)
		if err != nil {
			return fmt.Errorf("hash %s: %w", p, err)
		}
		rel, _ := filepath.Rel(root, p)
		ents = append(ents, ent{filepath.ToSlash(rel), n, hex.EncodeToString(h.Sum(nil))})
		return nil
	})
	if err != nil {
		return "", "", 0, err
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].rel < ents[j].rel })
	var list bytes.Buffer
	for _, e := range ents {
		fmt.Fprintf(&list, "%s\x00%d\x00%s\n", e.rel, e.size, e.sha)
		size += e.size
	}
	sum := sha256.Sum256(list.Bytes())
	return hex.EncodeToString(sum[:]), headHash(list.Bytes()), size, nil
}
