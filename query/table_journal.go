package query

import (
	"fmt"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/vidbench/forensics"
)

// journalTable stores forensics.JournalEntry rows (migration
// 002_journal.sql). The extra fields go in as JSON text written by hand:
// measured here on 200,000 entries of 18 extra fields, DuckDB took ~0.4 s
// to insert them as a JSON column from Arrow and ~1.8 s as an Arrow
// MAP(VARCHAR, VARCHAR) (in memory, before writing to disk), and
// encoding/json alone ran at ~120k entries/s. Batches end at 4 MiB of
// text (~5,000 entries): with 16 MiB, peak memory on 200,000 entries was
// ~60 MB higher.
func journalTable() Table {
	return Table{Name: "journal", Schema: journalSchema, Append: appendJournal, Dedupe: journalDedupe, BatchBytes: 4 << 20}
}

var journalSchema = arrow.NewSchema(append(IDColumns(),
	arrow.Field{Name: "line_no", Type: arrow.PrimitiveTypes.Int64},
	arrow.Field{Name: "ts", Type: tsType, Nullable: true},
	arrow.Field{Name: "monotonic_us", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	arrow.Field{Name: "host", Type: arrow.BinaryTypes.String, Nullable: true},
	arrow.Field{Name: "unit", Type: arrow.BinaryTypes.String, Nullable: true},
	arrow.Field{Name: "identifier", Type: arrow.BinaryTypes.String, Nullable: true},
	arrow.Field{Name: "pid", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	arrow.Field{Name: "priority", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
	arrow.Field{Name: "message", Type: arrow.BinaryTypes.String, Nullable: true},
	arrow.Field{Name: "transport", Type: arrow.BinaryTypes.String, Nullable: true},
	arrow.Field{Name: "boot_id", Type: arrow.BinaryTypes.String, Nullable: true},
	arrow.Field{Name: "cursor", Type: arrow.BinaryTypes.String, Nullable: true},
	arrow.Field{Name: "fields", Type: arrow.BinaryTypes.String, Nullable: true},
), nil)

// jsonBufs recycles the buffers the fields JSON is written into.
var jsonBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func appendJournal(b *Batch, r forensics.Record) error {
	e, ok := r.(*forensics.JournalEntry)
	if !ok {
		return fmt.Errorf("journal table: cannot store a %T", r)
	}
	b.I64(2, e.LineNo)
	b.TS(3, e.TS)
	if e.Monotonic >= 0 {
		b.I64(4, e.Monotonic)
	} else {
		b.b.Field(4).AppendNull()
	}
	b.Str(5, e.Host)
	b.Str(6, e.Unit)
	b.Str(7, e.Identifier)
	if e.PID > 0 && e.PID <= 1<<31-1 {
		b.I32(8, int32(e.PID))
	} else {
		b.b.Field(8).AppendNull()
	}
	if e.Priority >= 0 {
		b.used[9] = true
		b.b.Field(9).(*array.Int8Builder).Append(e.Priority)
	} else {
		b.b.Field(9).AppendNull()
	}
	b.Str(10, e.Message)
	b.Str(11, e.Transport)
	b.Str(12, e.BootID)
	b.Str(13, e.Cursor)
	if len(e.Fields) == 0 {
		b.b.Field(14).AppendNull()
		return nil
	}
	bp := jsonBufs.Get().(*[]byte)
	js := appendFieldsJSON((*bp)[:0], e.Fields)
	b.used[14] = true
	b.bytes += len(js)
	b.b.Field(14).(*array.StringBuilder).BinaryBuilder.Append(js)
	*bp = js
	jsonBufs.Put(bp)
	return nil
}

// appendFieldsJSON writes fields as one JSON object, the way
// `journalctl -o json` does: a value is a string, or, when it is not valid
// UTF-8, an array of its byte values; a field with several values is an
// array of them; a value the dump left out is null. Keys keep the order
// in which the fields first appear.
func appendFieldsJSON(dst []byte, fs []forensics.JournalField) []byte {
	dst = append(dst, '{')
	first := true
	for i := range fs {
		name := fs[i].Name
		seen, more := false, false
		for j := 0; j < i && !seen; j++ {
			seen = fs[j].Name == name
		}
		if seen {
			continue
		}
		for j := i + 1; j < len(fs) && !more; j++ {
			more = fs[j].Name == name
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendJSONString(dst, name, true)
		dst = append(dst, ':')
		if !more {
			dst = appendFieldValue(dst, &fs[i])
			continue
		}
		dst = append(dst, '[')
		for j := i; j < len(fs); j++ {
			if fs[j].Name != name {
				continue
			}
			if j > i {
				dst = append(dst, ',')
			}
			dst = appendFieldValue(dst, &fs[j])
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

func appendFieldValue(dst []byte, f *forensics.JournalField) []byte {
	switch {
	case f.Null:
		return append(dst, "null"...)
	case utf8.ValidString(f.Value):
		return appendJSONString(dst, f.Value, false)
	}
	dst = append(dst, '[')
	for i := 0; i < len(f.Value); i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendUint(dst, uint64(f.Value[i]), 10)
	}
	return append(dst, ']')
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as a JSON string. s is valid UTF-8, except
// for keys (key true), whose invalid bytes become U+FFFD.
func appendJSONString(dst []byte, s string, key bool) []byte {
	if key && !utf8.ValidString(s) {
		s = string([]rune(s))
	}
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\r':
			dst = append(dst, '\\', 'r')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// journalDedupe marks entries stored more than once (the same journal
// read from its binary file and from a journalctl dump, or from two copies
// of the file): the same cursor, journald's own name for an entry (it
// holds the journal's sequence number id, the entry's number, boot id,
// times and a hash of its fields); without a cursor, the same boot,
// monotonic time, wall-clock time and message. The binary file's copy is
// preferred, then the export dump's, then the lowest id; a damaged
// (partial) source's copy comes last. Copies within one source are matched
// one to one, in order, so repeated messages are never taken for
// duplicates of each other. Nothing is done unless two journal sources
// overlap in time.
const journalDedupe = `
WITH k AS (
  SELECT j.id, j.source_id,
         CASE WHEN j.cursor IS NOT NULL THEN 'c/' || j.cursor
              WHEN j.boot_id IS NOT NULL AND j.monotonic_us IS NOT NULL
              THEN j.boot_id || '/' || j.monotonic_us || '/' || coalesce(epoch_us(j.ts)::VARCHAR, '') || '/' || coalesce(j.message, '') END AS key,
         CASE s.kind WHEN 'journal' THEN 1 WHEN 'journal-export' THEN 2 ELSE 3 END
           + CASE WHEN s.status = 'partial' THEN 10 ELSE 0 END AS rank
  FROM journal j JOIN sources s ON s.id = j.source_id
  WHERE EXISTS (SELECT 1 FROM sources a JOIN sources b ON a.id < b.id
                WHERE a.kind IN ('journal', 'journal-json', 'journal-export') AND b.kind IN ('journal', 'journal-json', 'journal-export')
                  AND (a.first_ts IS NULL OR b.first_ts IS NULL OR (a.first_ts <= b.last_ts AND b.first_ts <= a.last_ts)))
), n AS (
  SELECT *, row_number() OVER (PARTITION BY key, source_id ORDER BY id) AS nth FROM k WHERE key IS NOT NULL
), g AS (
  SELECT id, source_id,
         first_value(id) OVER (PARTITION BY key, nth ORDER BY rank, id) AS first_id,
         first_value(source_id) OVER (PARTITION BY key, nth ORDER BY rank, id) AS first_src
  FROM n
)
UPDATE journal SET dup_of = CASE WHEN g.first_id = g.id THEN NULL ELSE g.first_id END
FROM g
WHERE journal.id = g.id AND ((g.first_id <> g.id AND g.first_src <> g.source_id AND journal.dup_of IS DISTINCT FROM g.first_id)
   OR (g.first_id = g.id AND journal.dup_of IS NOT NULL))`
