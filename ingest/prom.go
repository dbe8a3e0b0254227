package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/tsdb/index"

	"github.com/vidbench/forensics"
)

// Prometheus (kind prometheus) reads a copy of a Prometheus 2.x/3.x data
// directory (persisted blocks <ULID>/, the write-ahead log wal/ and
// chunks_head/) or a single block directory, through the prometheus
// module's own tsdb package, into the series, samples and
// histogram_samples tables.
//
// The evidence is never written. tsdb.OpenDBReadOnly replays the WAL into a
// head and hard-links head chunk files into a sandbox, and head replay may
// repair (truncate) WAL segments and cut or truncate head chunk files, so
// it never sees the evidence folder itself: it opens a staging directory
// under TempDir that holds, for each block that checked out, a real
// directory of symlinks to the block's files (blocks are only read, through
// mmap), and copies of wal/, wbl/ and chunks_head/. Its sandbox is inside
// the staging directory, so the hard links never cross filesystems.
//
// Each block is first opened and every chunk of it decoded on its own, so
// a block with a bad meta.json, a corrupted index or a truncated chunk file
// is reported with its ULID and the reason while the other blocks and the
// WAL are read. A WAL that cannot be replayed is reported and the blocks
// are read without it.
type Prometheus struct {
	// TempDir is where the staging directory goes ("": the system's).
	TempDir string
}

var _ DirReader = Prometheus{}

// Kind implements Reader.
func (Prometheus) Kind() string { return "prometheus" }

// Sniff implements Reader: files of a TSDB are never read one by one.
func (Prometheus) Sniff(*Sample) int { return 0 }

// Read implements Reader; a TSDB is only read whole (ReadDir).
func (Prometheus) Read(context.Context, *Input) error {
	return errors.New("a Prometheus TSDB is read as a whole directory")
}

// ReadsBinary marks the reader as one of binary content.
func (Prometheus) ReadsBinary() {}

// SniffDir implements DirReader: a block directory (meta.json beside
// index or chunks/), or a data directory (wal/ or chunks_head/, or a
// subdirectory named by a ULID that looks like a block).
func (Prometheus) SniffDir(path string) int {
	if isBlockDir(path) {
		return 100
	}
	ents, err := os.ReadDir(path)
	if err != nil {
		return 0
	}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		switch e.Name() {
		case "wal", "chunks_head":
			return 100
		}
		if _, err := ulid.ParseStrict(e.Name()); err == nil && looksLikeBlock(filepath.Join(path, e.Name())) {
			return 100
		}
	}
	return 0
}

// isBlockDir reports whether dir is one TSDB block.
func isBlockDir(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, "meta.json")); err != nil {
		return false
	}
	return looksLikeBlock(dir)
}

// looksLikeBlock: a block has meta.json, index or chunks/ (any one of
// them, so that a damaged block is still recognised and reported).
func looksLikeBlock(dir string) bool {
	for _, n := range []string{"meta.json", "index", "chunks"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			return true
		}
	}
	return false
}

// ReadDir implements DirReader.
func (p Prometheus) ReadDir(ctx context.Context, in *Input, window forensics.TimeRange) (DirReport, error) {
	var rep DirReport
	stage, err := os.MkdirTemp(p.TempDir, "forensics-prom-")
	if err != nil {
		return rep, &SkipError{Reason: fmt.Sprintf("cannot make a staging directory for the TSDB: %v", err), Hint: "set TMPDIR to a writable folder"}
	}
	defer os.RemoveAll(stage)

	blocks, err := p.stage(ctx, in.Path, stage, &rep)
	if err != nil {
		return rep, err
	}
	mint, maxt := int64(math.MinInt64), int64(math.MaxInt64)
	if !window.Since.IsZero() {
		mint = window.Since.UnixMilli()
	}
	if !window.Until.IsZero() {
		maxt = window.Until.UnixMilli() - 1
	}
	logs := &logCapture{}
	db, q, err := openStaged(stage, logs, mint, maxt)
	if err != nil && hasWAL(stage) {
		// The WAL could not be replayed: report it, read the blocks alone.
		rep.Problems = append(rep.Problems, Problem{Path: filepath.Join(in.Path, "wal"), Severity: "error",
			Err: fmt.Errorf("WAL/head not read: %w", err), Hint: "the blocks were read without it; check the copy of wal/ and chunks_head/"})
		for _, d := range []string{"wal", "wbl", "chunks_head"} {
			os.RemoveAll(filepath.Join(stage, d))
		}
		os.Mkdir(filepath.Join(stage, "wal"), 0o755)
		db, q, err = openStaged(stage, logs, mint, maxt)
	}
	if err != nil {
		return rep, fmt.Errorf("open TSDB: %w", err)
	}
	defer db.Close()
	defer q.Close()

	st, err := emitAll(ctx, in, q)
	for _, w := range logs.take() {
		in.Warn("tsdb: " + w)
	}
	rep.Note = fmt.Sprintf("%d block(s), %d series, %d samples (%d staleness markers), %d native histogram samples",
		blocks, st.series, st.samples, st.stale, st.histograms)
	if st.histograms > 0 {
		rep.Note += " (in histogram_samples)"
	}
	return rep, err
}

// stage lays out the staging directory for the data directory (or block)
// at src and returns how many blocks checked out. Bad blocks are added to
// rep.Problems.
func (p Prometheus) stage(ctx context.Context, src, stage string, rep *DirReport) (int, error) {
	var blockDirs []string
	if isBlockDir(src) {
		blockDirs = []string{src}
	} else {
		ents, err := os.ReadDir(src)
		if err != nil {
			return 0, err
		}
		for _, e := range ents {
			name := e.Name()
			if !e.IsDir() {
				continue
			}
			if _, err := ulid.ParseStrict(name); err == nil {
				blockDirs = append(blockDirs, filepath.Join(src, name))
				continue
			}
			switch name {
			case "wal", "wbl", "chunks_head":
				if err := copyTree(ctx, filepath.Join(src, name), filepath.Join(stage, name)); err != nil {
					rep.Problems = append(rep.Problems, Problem{Path: filepath.Join(src, name), Severity: "error",
						Err: fmt.Errorf("copy to a staging directory: %w", err), Hint: "the blocks were read without the WAL/head; free space in TMPDIR?"})
					for _, d := range []string{"wal", "wbl", "chunks_head"} {
						os.RemoveAll(filepath.Join(stage, d))
					}
				}
			}
		}
	}
	if _, err := os.Stat(filepath.Join(stage, "wal")); err != nil {
		if err := os.Mkdir(filepath.Join(stage, "wal"), 0o755); err != nil {
			return 0, err
		}
	}
	good := 0
	for _, dir := range blockDirs {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		id, err := checkBlock(dir)
		if err != nil {
			name := filepath.Base(dir)
			if id != "" && id != name {
				name += " (meta.json ULID " + id + ")"
			}
			rep.Problems = append(rep.Problems, Problem{Path: dir, Severity: "error",
				Err: fmt.Errorf("block %s not read: %w", name, err), Hint: blockHint(err)})
			continue
		}
		if err := linkBlock(dir, filepath.Join(stage, id)); err != nil {
			return 0, fmt.Errorf("stage block %s: %w", id, err)
		}
		good++
	}
	return good, nil
}

func blockHint(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "meta.json") || strings.Contains(msg, "meta"):
		return "meta.json is missing or not valid; the other blocks and the WAL were read"
	case strings.Contains(msg, "index"):
		return "the index file is damaged; the other blocks and the WAL were read"
	default:
		return "a chunk file is damaged or cut short (copy interrupted?); the other blocks and the WAL were read"
	}
}

// checkBlock opens one block on its own and decodes every chunk of every
// series, so that damage shows here, per block, and not halfway through
// the merged read. It returns the block's ULID from meta.json.
func checkBlock(dir string) (id string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("reading the block crashed: %v", p)
		}
	}()
	b, err := tsdb.OpenBlock(slog.New(slog.DiscardHandler), dir, nil, nil)
	if err != nil {
		return "", err
	}
	defer b.Close()
	id = b.Meta().ULID.String()
	ir, err := b.Index()
	if err != nil {
		return id, fmt.Errorf("index: %w", err)
	}
	defer ir.Close()
	cr, err := b.Chunks()
	if err != nil {
		return id, fmt.Errorf("chunks: %w", err)
	}
	defer cr.Close()
	k, v := index.AllPostingsKey()
	ps, err := ir.Postings(context.Background(), k, v)
	if err != nil {
		return id, fmt.Errorf("index postings: %w", err)
	}
	var sb labels.ScratchBuilder
	var metas []chunks.Meta
	var it chunkenc.Iterator
	for ps.Next() {
		if err := ir.Series(ps.At(), &sb, &metas); err != nil {
			return id, fmt.Errorf("index series %d: %w", ps.At(), err)
		}
		for _, m := range metas {
			c, iterable, err := cr.ChunkOrIterable(m)
			if err != nil {
				return id, fmt.Errorf("chunk of series %s: %w", sb.Labels(), err)
			}
			if c != nil {
				it = c.Iterator(it)
			} else {
				it = iterable.Iterator(it)
			}
			for it.Next() != chunkenc.ValNone {
			}
			if err := it.Err(); err != nil {
				return id, fmt.Errorf("chunk of series %s: %w", sb.Labels(), err)
			}
		}
	}
	if err := ps.Err(); err != nil {
		return id, fmt.Errorf("index postings: %w", err)
	}
	return id, nil
}

// linkBlock makes dst a real directory (tsdb only opens directories, not
// symlinks to them) of symlinks to the block's entries.
func linkBlock(src, dst string) error {
	if err := os.Mkdir(dst, 0o755); err != nil {
		return err
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(src)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if err := os.Symlink(filepath.Join(abs, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// copyTree copies the regular files under src to dst (the WAL and head
// chunks: replay may truncate or cut them, so they are never linked).
func copyTree(ctx context.Context, src, dst string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

func hasWAL(stage string) bool {
	for _, d := range []string{"wal", "chunks_head"} {
		if ents, err := os.ReadDir(filepath.Join(stage, d)); err == nil && len(ents) > 0 {
			return true
		}
	}
	return false
}

// openStaged opens the staging directory read-only, with the sandbox
// inside it (same filesystem), and its one querier over [mint, maxt].
func openStaged(stage string, logs *logCapture, mint, maxt int64) (db *tsdb.DBReadOnly, q storage.Querier, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("tsdb crashed: %v", p)
			if db != nil {
				db.Close()
			}
		}
	}()
	db, err = tsdb.OpenDBReadOnly(stage, stage, slog.New(logs))
	if err != nil {
		return nil, nil, err
	}
	q, err = db.Querier(mint, maxt)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, q, nil
}

type promStats struct {
	series, samples, stale, histograms int64
}

// emitAll emits every series of q with its samples: the series first (the
// store gives it its id), then its float and histogram samples in time
// order. A series none of whose samples in.Keep keeps is left out.
func emitAll(ctx context.Context, in *Input, q storage.Querier) (promStats, error) {
	var st promStats
	ss := q.Select(ctx, true, nil, labels.MustNewMatcher(labels.MatchRegexp, labels.MetricName, ".*"))
	var it chunkenc.Iterator
	var lb strings.Builder
	n := 0
	for ss.Next() {
		if n++; n&255 == 0 {
			if err := ctx.Err(); err != nil {
				return st, err
			}
		}
		s := ss.At()
		ser := &forensics.PromSeries{}
		ser.Metric, ser.Labels = seriesLabels(s.Labels(), &lb)
		it = s.Iterator(it)
		var floats []forensics.PromSample
		var hists []forensics.PromHistogram
		for vt := it.Next(); vt != chunkenc.ValNone; vt = it.Next() {
			switch vt {
			case chunkenc.ValFloat:
				t, v := it.At()
				floats = append(floats, forensics.PromSample{Series: ser, T: t, V: v, Stale: value.IsStaleNaN(v)})
			case chunkenc.ValHistogram, chunkenc.ValFloatHistogram:
				var fh *histogram.FloatHistogram
				var t int64
				isFloat := vt == chunkenc.ValFloatHistogram
				t, fh = it.AtFloatHistogram(nil)
				h, err := histogramRow(ser, t, fh, isFloat)
				if err != nil {
					return st, fmt.Errorf("series %s at %d: %w", s.Labels(), t, err)
				}
				hists = append(hists, h)
			}
		}
		if err := it.Err(); err != nil {
			return st, fmt.Errorf("read series %s: %w", s.Labels(), err)
		}
		// the series row carries the time of its first kept sample
		var first time.Time
		for i := range floats {
			if t := time.UnixMilli(floats[i].T).UTC(); in.Keep == nil || in.Keep(t, 0) {
				first = t
				break
			}
		}
		for i := range hists {
			if t := time.UnixMilli(hists[i].T).UTC(); in.Keep == nil || in.Keep(t, 0) {
				if first.IsZero() || t.Before(first) {
					first = t
				}
				break
			}
		}
		if first.IsZero() {
			in.Stats.Lines += int64(len(floats) + len(hists))
			in.Stats.Filtered += int64(len(floats) + len(hists))
			continue
		}
		if err := in.Emit(ser, first, 1, 0); err != nil {
			return st, err
		}
		st.series++
		for i := range floats {
			f := &floats[i]
			if err := in.Emit(f, time.UnixMilli(f.T).UTC(), 1, 0); err != nil {
				return st, err
			}
			st.samples++
			if f.Stale {
				st.stale++
			}
		}
		for i := range hists {
			h := &hists[i]
			if err := in.Emit(h, time.UnixMilli(h.T).UTC(), 1, 0); err != nil {
				return st, err
			}
			st.histograms++
		}
	}
	if err := ss.Err(); err != nil {
		return st, fmt.Errorf("read series: %w", err)
	}
	return st, nil
}

// seriesLabels splits a label set into the metric name and the other
// labels as a JSON object (labels are sorted by name already).
func seriesLabels(ls labels.Labels, b *strings.Builder) (string, string) {
	b.Reset()
	b.WriteByte('{')
	metric := ""
	first := true
	ls.Range(func(l labels.Label) {
		if l.Name == labels.MetricName {
			metric = l.Value
			return
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString(strconv.Quote(l.Name))
		b.WriteByte(':')
		writeJSONString(b, l.Value)
	})
	b.WriteByte('}')
	return metric, b.String()
}

// writeJSONString writes s as a JSON string (strconv.Quote is not JSON for
// control and non-printable characters).
func writeJSONString(b *strings.Builder, s string) {
	js, _ := json.Marshal(s)
	b.Write(js)
}

// histogramRow turns a native histogram sample into its row. The JSON
// holds the histogram exactly; a sum that JSON cannot hold (NaN, ±Inf,
// the staleness marker) goes in the sum column only.
func histogramRow(ser *forensics.PromSeries, t int64, fh *histogram.FloatHistogram, isFloat bool) (forensics.PromHistogram, error) {
	h := forensics.PromHistogram{Series: ser, T: t, Float: isFloat, Count: fh.Count, Sum: fh.Sum, Stale: value.IsStaleNaN(fh.Sum)}
	c := *fh
	if math.IsNaN(c.Sum) || math.IsInf(c.Sum, 0) {
		c.Sum = 0
	}
	js, err := json.Marshal(&c)
	if err != nil {
		return h, fmt.Errorf("encode native histogram: %w", err)
	}
	h.JSON = string(js)
	return h, nil
}

// logCapture is a slog.Handler that keeps what tsdb warns about (a WAL
// segment it had to skip, overlapping blocks), for the ingest report.
type logCapture struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logCapture) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelWarn }

func (l *logCapture) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	l.mu.Lock()
	l.msgs = append(l.msgs, b.String())
	l.mu.Unlock()
	return nil
}

func (l *logCapture) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logCapture) WithGroup(string) slog.Handler      { return l }

func (l *logCapture) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.msgs
	l.msgs = nil
	sort.Strings(m)
	return m
}
