package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
)

// hashingReader hands a file's decompressed content to a reader and
// hashes and counts every byte on the way, so that a new file is read
// once. The sha256 runs in its own goroutine over copies of the chunks:
// the reader's goroutine only copies, far cheaper than hashing, and the
// hash runs on the core the parse leaves free. The copies go into a few
// fixed buffers that pass back and forth between the two goroutines, so
// memory stays bounded whatever the file's size.
//
// Read, drain and finish belong to the reader's goroutine; finish must
// be called, also when the read fails, to end the hash goroutine.
type hashingReader struct {
	r    io.Reader
	size int64
	err  error  // the first read error other than io.EOF (a truncated gzip stream)
	cur  []byte // the buffer being filled
	made int    // buffers allocated so far, at most hashBuffers
	work chan []byte
	free chan []byte
	sum  chan string
	sha  string // set by finish
	done bool
}

const (
	// hashChunk is the size of a buffer handed to the hash goroutine: as
	// large as the reads of a LineReader, so that a buffer goes per read
	// or so, not per small read.
	hashChunk = 256 << 10
	// hashBuffers bounds the buffers in flight: enough for the hash to lag
	// the parse by a little without stalling it.
	hashBuffers = 4
)

func newHashingReader(r io.Reader) *hashingReader {
	h := &hashingReader{
		r:    r,
		work: make(chan []byte, hashBuffers),
		free: make(chan []byte, hashBuffers),
		sum:  make(chan string, 1),
	}
	go h.hash()
	return h
}

// hash runs in its own goroutine until finish closes work.
func (h *hashingReader) hash() {
	s := sha256.New()
	for b := range h.work {
		s.Write(b)
		h.free <- b[:0]
	}
	h.sum <- hex.EncodeToString(s.Sum(nil))
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if n > 0 {
		h.keep(p[:n])
	}
	if err != nil && !errors.Is(err, io.EOF) && h.err == nil {
		h.err = err
	}
	return n, err
}

// keep copies p into the buffers, sending each one that fills.
func (h *hashingReader) keep(p []byte) {
	h.size += int64(len(p))
	for len(p) > 0 {
		if h.cur == nil {
			h.cur = h.buffer()
		}
		n := copy(h.cur[len(h.cur):cap(h.cur)], p)
		h.cur = h.cur[:len(h.cur)+n]
		p = p[n:]
		if len(h.cur) == cap(h.cur) {
			h.work <- h.cur
			h.cur = nil
		}
	}
}

// buffer returns an empty buffer: a returned one, a new one while fewer
// than hashBuffers exist (a small file needs only one), or the next one
// the hash goroutine is done with.
func (h *hashingReader) buffer() []byte {
	select {
	case b := <-h.free:
		return b
	default:
	}
	if h.made < hashBuffers {
		h.made++
		return make([]byte, 0, hashChunk)
	}
	return <-h.free
}

// drain reads what the reader left unread (a reader may stop before the
// end: the psql reader after its table, the note reader at its limit, the
// journal reader reads the file by its path), so that the hash and size
// cover the whole content. A read error is kept in h.err as any other;
// only a cancelled ctx is returned.
func (h *hashingReader) drain(ctx context.Context) error {
	buf := make([]byte, hashChunk)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := h.Read(buf); err != nil {
			return nil
		}
	}
}

// finish hashes what is buffered, ends the hash goroutine and returns the
// sha256 (hex) and size of everything read. Later calls return the same.
func (h *hashingReader) finish() (string, int64) {
	if h.done {
		return h.sha, h.size
	}
	h.done = true
	if len(h.cur) > 0 {
		h.work <- h.cur
		h.cur = nil
	}
	close(h.work)
	h.sha = <-h.sum
	return h.sha, h.size
}
