package ingest

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/vidbench/forensics"
)

// This file holds what the three journald readers share: the binary
// journal files (journal_file.go), `journalctl -o json` dumps
// (journal_json.go) and `journalctl -o export` dumps (journal_export.go).
// Each reader hands the fields of one entry to an entryBuilder, which makes
// the forensics.JournalEntry row; the same entry read through any of the
// three gives the same row.

// entryBuilder collects the fields of one journal entry, in order, and
// makes the row: the common fields go to their columns, the rest (and any
// value a column cannot hold exactly) to JournalEntry.Fields, sorted by name.
type entryBuilder struct {
	fields []forensics.JournalField
	used   []bool

	// address fields known from the journal API (binary files)
	ts, mono  int64 // microseconds; -1 unknown
	cursor    string
	bootID    string
	hasCursor bool
}

func (b *entryBuilder) reset() {
	b.fields = b.fields[:0]
	b.ts, b.mono = -1, -1
	b.cursor, b.bootID, b.hasCursor = "", "", false
}

// add appends one value of a field. Dumps pass the address fields
// (__CURSOR, __REALTIME_TIMESTAMP, ...) this way too.
func (b *entryBuilder) add(name, value string, null bool) {
	b.fields = append(b.fields, forensics.JournalField{Name: name, Value: value, Null: null})
}

// fieldKind numbers the fields that have a column.
const (
	fMessage = iota
	fPriority
	fHostname
	fIdentifier
	fPID
	fTransport
	fBootID
	fCursor
	fRealtime
	fMonotonic
	fSeqnum
	fSeqnumID
	nColumnFields
)

func columnField(name string) int {
	if len(name) < 4 || (name[0] != '_' && name[0] != 'M' && name[0] != 'P' && name[0] != 'S') {
		return -1
	}
	switch name {
	case "MESSAGE":
		return fMessage
	case "PRIORITY":
		return fPriority
	case "_HOSTNAME":
		return fHostname
	case "SYSLOG_IDENTIFIER":
		return fIdentifier
	case "_PID":
		return fPID
	case "_TRANSPORT":
		return fTransport
	case "_BOOT_ID":
		return fBootID
	case "__CURSOR":
		return fCursor
	case "__REALTIME_TIMESTAMP":
		return fRealtime
	case "__MONOTONIC_TIMESTAMP":
		return fMonotonic
	case "__SEQNUM":
		return fSeqnum
	case "__SEQNUM_ID":
		return fSeqnumID
	}
	return -1
}

// exact reports whether a column can hold v exactly: non-null, non-empty,
// valid UTF-8.
func exact(f *forensics.JournalField) bool {
	return !f.Null && f.Value != "" && utf8.ValidString(f.Value)
}

// parseUint reads a decimal number of microseconds or a PID.
func parseUint(s string) (int64, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, n >= 0
}

// finish makes the row from the fields added since reset. lineNo is the
// entry's line (dumps) or number (binary files).
func (b *entryBuilder) finish(lineNo int64) *forensics.JournalEntry {
	e := &forensics.JournalEntry{LineNo: lineNo, Monotonic: -1, Priority: -1}
	var first, count [nColumnFields]int
	if cap(b.used) < len(b.fields) {
		b.used = make([]bool, len(b.fields), cap(b.fields))
	}
	used := b.used[:len(b.fields)]
	clear(used)
	for i := range b.fields {
		k := columnField(b.fields[i].Name)
		if k < 0 {
			continue
		}
		if count[k] == 0 {
			first[k] = i
		}
		count[k]++
	}
	// one holds the single value of column field k, when there is exactly one.
	one := func(k int) (*forensics.JournalField, bool) {
		if count[k] == 0 {
			return nil, false
		}
		f := &b.fields[first[k]]
		return f, count[k] == 1 && exact(f)
	}
	text := func(k int, dst *string) {
		if f, ok := one(k); f != nil {
			if ok {
				*dst = f.Value
				used[first[k]] = true
			} else if !f.Null {
				*dst = str([]byte(f.Value))
			}
		}
	}
	text(fMessage, &e.Message)
	text(fHostname, &e.Host)
	text(fIdentifier, &e.Identifier)
	text(fTransport, &e.Transport)
	if f, ok := one(fPriority); f != nil {
		if len(f.Value) == 1 && f.Value[0] >= '0' && f.Value[0] <= '7' && !f.Null {
			e.Priority = int8(f.Value[0] - '0')
			used[first[fPriority]] = ok
		}
	}
	if f, ok := one(fPID); f != nil {
		if n, isNum := parseUint(f.Value); isNum && n > 0 && n <= 1<<31 && !f.Null && strconv.FormatInt(n, 10) == f.Value {
			e.PID = n
			used[first[fPID]] = ok
		}
	}
	// Address fields: from the journal API, or from the dump.
	if b.ts >= 0 {
		e.TS = usecTime(b.ts)
	} else if f, ok := one(fRealtime); ok {
		if n, isNum := parseUint(f.Value); isNum && strconv.FormatInt(n, 10) == f.Value {
			e.TS = usecTime(n)
			used[first[fRealtime]] = true
		}
	}
	if b.mono >= 0 {
		e.Monotonic = b.mono
	} else if f, ok := one(fMonotonic); ok {
		if n, isNum := parseUint(f.Value); isNum && strconv.FormatInt(n, 10) == f.Value {
			e.Monotonic = n
			used[first[fMonotonic]] = true
		}
	}
	if b.hasCursor {
		e.Cursor = b.cursor
	} else {
		text(fCursor, &e.Cursor)
	}
	if b.bootID != "" {
		// binary files: the boot id of the entry's header, as journalctl
		// prints it; the data field is the same value in a sane file.
		e.BootID = b.bootID
		if f, _ := one(fBootID); f != nil && count[fBootID] == 1 && f.Value == b.bootID && !f.Null {
			used[first[fBootID]] = true
		}
	} else {
		text(fBootID, &e.BootID)
	}
	// __SEQNUM and __SEQNUM_ID (newer journalctl) repeat the cursor's i=
	// and s= parts: kept only when there is no cursor.
	if e.Cursor != "" {
		for _, k := range []int{fSeqnum, fSeqnumID} {
			if _, ok := one(k); ok {
				used[first[k]] = true
			}
		}
	}
	e.Unit = unitOf(b.fields)
	n := 0
	for _, u := range used {
		if !u {
			n++
		}
	}
	if n > 0 {
		e.Fields = make([]forensics.JournalField, 0, n)
		for i, u := range used {
			if !u {
				e.Fields = append(e.Fields, b.fields[i])
			}
		}
		sortFields(e.Fields)
	}
	return e
}

// sortFields orders fields by name, keeping the order of a repeated
// field's values: the order a source gives them in differs (journalctl -o
// json writes its hash table's order), and the same entry must give the
// same row from every source. Entries have a few dozen fields at most: an
// insertion sort.
func sortFields(fs []forensics.JournalField) {
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && fs[j].Name < fs[j-1].Name; j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}

// unitOf derives the unit an entry is about: _SYSTEMD_UNIT, or UNIT when
// systemd itself (init.scope, or no unit) writes about another unit; user
// units likewise. The fields stay in Fields.
func unitOf(fs []forensics.JournalField) string {
	var sys, unit, userSys, userUnit string
	for i := range fs {
		f := &fs[i]
		if f.Null || len(f.Name) < 4 {
			continue
		}
		switch f.Name {
		case "_SYSTEMD_UNIT":
			if sys == "" {
				sys = f.Value
			}
		case "UNIT":
			if unit == "" {
				unit = f.Value
			}
		case "_SYSTEMD_USER_UNIT":
			if userSys == "" {
				userSys = f.Value
			}
		case "USER_UNIT":
			if userUnit == "" {
				userUnit = f.Value
			}
		}
	}
	u := sys
	switch {
	case unit != "" && (sys == "" || sys == "init.scope"):
		u = unit
	case sys == "" && userUnit != "":
		u = userUnit
	case sys == "" && userSys != "":
		u = userSys
	}
	if !utf8.ValidString(u) {
		u = str([]byte(u))
	}
	return u
}

// usecTime turns microseconds since the epoch into a UTC time.
func usecTime(us int64) time.Time { return time.UnixMicro(us).UTC() }

// validFieldName reports whether name is a journal field name as journald
// accepts it: capital letters, digits and underscores, not starting with a
// digit, at most 64 bytes. Export dumps need it to tell a binary field's
// name line from garbage.
func validFieldName(name []byte) bool {
	if len(name) == 0 || len(name) > 64 || (name[0] >= '0' && name[0] <= '9') {
		return false
	}
	for _, c := range name {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
