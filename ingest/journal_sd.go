//go:build cgo

package ingest

// The fast path into libsystemd for binary journal files. go-systemd's
// sdjournal opens the file, sets the data threshold and closes it; but its
// only way to read an entry's fields, GetEntry, folds them into a map (a
// repeated field keeps one value) and costs several cgo calls and map
// lookups per entry. So the entries are read here with libsystemd's own
// enumeration (sd_journal_next, sd_journal_restart_data,
// sd_journal_enumerate_data), many entries per cgo call, into one buffer
// that Go then splits. libsystemd is loaded at run time with dlopen, as
// sdjournal does, so the binary starts and reads everything else on a
// machine without it.

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>

typedef struct {
	void *lib;
	int (*next)(sd_journal *);
	int (*get_realtime_usec)(sd_journal *, uint64_t *);
	int (*get_monotonic_usec)(sd_journal *, uint64_t *, sd_id128_t *);
	int (*get_cursor)(sd_journal *, char **);
	void (*restart_data)(sd_journal *);
	int (*enumerate_data)(sd_journal *, const void **, size_t *);
} fx_api;

static int fx_load(fx_api *a, const char *soname, char *err, size_t errlen) {
	memset(a, 0, sizeof *a);
	a->lib = dlopen(soname, RTLD_LAZY | RTLD_LOCAL);
	if (!a->lib) {
		const char *e = dlerror();
		snprintf(err, errlen, "%s", e ? e : "dlopen failed");
		return -1;
	}
#define FX_SYM(f, n) if (!(a->f = dlsym(a->lib, n))) { snprintf(err, errlen, "%s has no %s", soname, n); return -1; }
	FX_SYM(next, "sd_journal_next")
	FX_SYM(get_realtime_usec, "sd_journal_get_realtime_usec")
	FX_SYM(get_monotonic_usec, "sd_journal_get_monotonic_usec")
	FX_SYM(get_cursor, "sd_journal_get_cursor")
	FX_SYM(restart_data, "sd_journal_restart_data")
	FX_SYM(enumerate_data, "sd_journal_enumerate_data")
#undef FX_SYM
	return 0;
}

typedef struct {
	unsigned char *p;
	size_t len, cap;
} fx_buf;

static int fx_put(fx_buf *b, const void *d, size_t n) {
	if (b->len + n > b->cap) {
		size_t c = b->cap ? b->cap : (size_t)1 << 20;
		while (c < b->len + n)
			c *= 2;
		unsigned char *q = realloc(b->p, c);
		if (!q)
			return -ENOMEM;
		b->p = q;
		b->cap = c;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
	return 0;
}

static void fx_free(fx_buf *b) {
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

// One entry in the buffer, little-endian as the machine is:
//   u32 size of the record, this header included
//   i32 error: 0, or the negative errno that stopped reading the entry
//   u32 flags: 1 realtime read, 2 monotonic and boot id read
//   u64 realtime, u64 monotonic, 16 bytes boot id
//   u32 cursor length, the cursor
//   u32 number of fields, then per field: u32 length, KEY=value
#define FX_HEAD 48

// fx_fill reads entries until max of them or soft bytes are in b. *status
// is 0 when there may be more, 1 at the end of the journal, or the
// negative errno of sd_journal_next. It returns the number of entries.
static int fx_fill(fx_api *a, sd_journal *j, fx_buf *b, int max, size_t soft, int *status) {
	b->len = 0;
	*status = 0;
	int n = 0;
	while (n < max && b->len < soft) {
		int r = a->next(j);
		if (r == 0) {
			*status = 1;
			break;
		}
		if (r < 0) {
			*status = r;
			break;
		}
		size_t at = b->len;
		unsigned char head[FX_HEAD];
		memset(head, 0, sizeof head);
		if (fx_put(b, head, sizeof head) < 0) {
			*status = -ENOMEM;
			break;
		}
		int32_t err = 0;
		uint32_t flags = 0;
		uint64_t rt = 0, mono = 0;
		sd_id128_t boot;
		memset(&boot, 0, sizeof boot);
		if (a->get_realtime_usec(j, &rt) >= 0)
			flags |= 1;
		if (a->get_monotonic_usec(j, &mono, &boot) >= 0)
			flags |= 2;
		char *cursor = NULL;
		uint32_t clen = 0;
		r = a->get_cursor(j, &cursor);
		if (r < 0)
			err = r;
		else
			clen = (uint32_t)strlen(cursor);
		if (fx_put(b, &clen, 4) < 0 || (clen && fx_put(b, cursor, clen) < 0)) {
			free(cursor);
			*status = -ENOMEM;
			break;
		}
		free(cursor);
		size_t nat = b->len;
		uint32_t nf = 0;
		if (fx_put(b, &nf, 4) < 0) {
			*status = -ENOMEM;
			break;
		}
		const void *d;
		size_t l;
		a->restart_data(j);
		for (;;) {
			r = a->enumerate_data(j, &d, &l);
			if (r == 0)
				break;
			if (r < 0) {
				if (!err)
					err = r;
				break;
			}
			uint32_t l32 = (uint32_t)l;
			if (l > UINT32_MAX || fx_put(b, &l32, 4) < 0 || fx_put(b, d, l) < 0) {
				if (!err)
					err = -ENOMEM;
				break;
			}
			nf++;
		}
		memcpy(b->p + nat, &nf, 4);
		uint32_t size = (uint32_t)(b->len - at);
		memcpy(b->p + at, &size, 4);
		memcpy(b->p + at + 4, &err, 4);
		memcpy(b->p + at + 8, &flags, 4);
		memcpy(b->p + at + 16, &rt, 8);
		memcpy(b->p + at + 24, &mono, 8);
		memcpy(b->p + at + 32, boot.bytes, 16);
		n++;
	}
	return n;
}
*/
import "C"

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"syscall"
	"unsafe"

	"github.com/coreos/go-systemd/v22/sdjournal"
)

// libsystemd is the library binary journals are read with.
const libsystemd = "libsystemd.so.0"

// sdAPI holds libsystemd's entry points, loaded once per file read (dlopen
// of a loaded library is cheap).
type sdAPI struct {
	api C.fx_api
}

// loadSD loads soname ("" for libsystemd.so.0). Its error says why.
func loadSD(soname string) (*sdAPI, error) {
	if soname == "" {
		soname = libsystemd
	}
	a := &sdAPI{}
	cs := C.CString(soname)
	defer C.free(unsafe.Pointer(cs))
	var msg [512]C.char
	if C.fx_load(&a.api, cs, &msg[0], C.size_t(len(msg))) != 0 {
		return nil, errors.New(C.GoString(&msg[0]))
	}
	return a, nil
}

// cJournal returns the sd_journal handle inside an sdjournal.Journal,
// which sdjournal keeps in its unexported first field. The field is
// checked by name and kind at run time, so that a go-systemd release that
// changes the struct is refused (with an error) rather than misread.
func cJournal(j *sdjournal.Journal) (unsafe.Pointer, error) {
	f, ok := reflect.TypeFor[sdjournal.Journal]().FieldByName("cjournal")
	if !ok || f.Type.Kind() != reflect.Pointer {
		return nil, errors.New("this go-systemd version keeps no sd_journal handle in Journal.cjournal; update ingest/journal_sd.go")
	}
	p := *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(j), f.Offset))
	if p == nil {
		return nil, errors.New("journal not open")
	}
	return p, nil
}

// sdEntry is one entry as libsystemd gave it. Its strings share one
// allocation (the entry's record, copied out of the C buffer).
type sdEntry struct {
	err      error // reading the entry's data stopped early
	realtime int64 // -1 unknown
	mono     int64 // -1 unknown
	boot     [16]byte
	hasBoot  bool
	cursor   string
	data     []string // KEY=value
}

// sdReader reads the entries of one open journal in batches.
type sdReader struct {
	api  *sdAPI
	j    unsafe.Pointer
	buf  C.fx_buf
	recs []byte // the last batch, still in C memory
	end  bool
	err  error
}

func newSDReader(api *sdAPI, j *sdjournal.Journal) (*sdReader, error) {
	p, err := cJournal(j)
	if err != nil {
		return nil, err
	}
	return &sdReader{api: api, j: p}, nil
}

// fill reads the next batch. It returns false at the end of the journal or
// on an iteration error (see err).
func (r *sdReader) fill() bool {
	if r.end || r.err != nil {
		return false
	}
	var status C.int
	n := C.fx_fill(&r.api.api, (*C.sd_journal)(r.j), &r.buf, 1024, 4<<20, &status)
	switch {
	case status == 1:
		r.end = true
	case status < 0:
		r.err = fmt.Errorf("iterate the journal: %w", syscall.Errno(-status))
	}
	if n == 0 {
		r.recs = nil
		return false
	}
	r.recs = unsafe.Slice((*byte)(unsafe.Pointer(r.buf.p)), int(r.buf.len))
	return true
}

// next splits the next entry off the batch into e. It returns false when
// the batch is used up.
func (r *sdReader) next(e *sdEntry) bool {
	if len(r.recs) < C.FX_HEAD {
		return false
	}
	le := binary.LittleEndian
	size := int(le.Uint32(r.recs))
	b := r.recs[:size]
	rec := string(b) // the one copy out of C memory; the strings below share it
	r.recs = r.recs[size:]
	*e = sdEntry{realtime: -1, mono: -1, data: e.data[:0]}
	if code := int32(le.Uint32(b[4:])); code < 0 {
		e.err = syscall.Errno(-code)
	}
	flags := le.Uint32(b[8:])
	if flags&1 != 0 {
		e.realtime = int64(le.Uint64(b[16:]))
	}
	if flags&2 != 0 {
		e.mono = int64(le.Uint64(b[24:]))
		copy(e.boot[:], b[32:48])
		e.hasBoot = true
	}
	pos := C.FX_HEAD
	cl := int(le.Uint32(b[pos:]))
	pos += 4
	e.cursor = rec[pos : pos+cl]
	pos += cl
	nf := int(le.Uint32(b[pos:]))
	pos += 4
	for i := 0; i < nf; i++ {
		l := int(le.Uint32(b[pos:]))
		pos += 4
		e.data = append(e.data, rec[pos:pos+l])
		pos += l
	}
	return true
}

func (r *sdReader) close() { C.fx_free(&r.buf) }

// bootHex formats a boot id as journalctl does (32 lowercase hex digits),
// reusing the last string while the boot stays the same.
type bootHex struct {
	last [16]byte
	s    string
}

func (b *bootHex) format(id [16]byte) string {
	if b.s == "" || id != b.last {
		b.last, b.s = id, hex.EncodeToString(id[:])
	}
	return b.s
}
