package forensics

import "time"

// JournalEntry is one journald entry, read from a binary journal file or
// from a journalctl dump (json or export). The common fields have their own
// columns; Fields keeps everything else, so that the entry can be rebuilt
// byte for byte: every field not held exactly by a column, every value of
// a repeated field, and every byte of a long or binary one.
//
// A column holds a field only when the entry has exactly one value for it,
// that value is non-empty valid UTF-8 and it fits the column's type (a
// numeric _PID, a PRIORITY of 0 to 7). Otherwise all the field's values are
// in Fields, and the column holds the first value as well as it can (text
// with invalid bytes replaced, or nothing).
type JournalEntry struct {
	TS        time.Time // __REALTIME_TIMESTAMP; zero when missing or unreadable
	Monotonic int64     // __MONOTONIC_TIMESTAMP in microseconds; -1 when missing
	LineNo    int64     // dumps: line of the entry's first line; binary files: entry number, from 1

	Host       string // _HOSTNAME
	Unit       string // _SYSTEMD_UNIT, or UNIT for systemd's own messages about a unit (derived; both stay in Fields)
	Identifier string // SYSLOG_IDENTIFIER
	PID        int64  // _PID; 0 when none
	Priority   int8   // PRIORITY 0 (emerg) to 7 (debug); -1 when none
	Message    string // MESSAGE
	Transport  string // _TRANSPORT: kernel, journal, stdout, syslog, audit, driver
	BootID     string // _BOOT_ID
	Cursor     string // __CURSOR

	Fields []JournalField
}

// JournalField is one value of one field of a journal entry.
type JournalField struct {
	Name  string
	Value string // the bytes as they are: may be invalid UTF-8 (binary data)
	Null  bool   // the dump printed null (journalctl without --all omits values over 4096 bytes)
}

// Table implements Record.
func (*JournalEntry) Table() string { return "journal" }
