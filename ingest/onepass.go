package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"

	"github.com/vidbench/forensics"
)

// A source remembers the sha256 of its head (headHash). Before hashing a
// file whole, ingest compares the file's head with the known sources'
// heads: a known source can be the same content as the file, or a prefix
// of it, only if their heads agree. A file whose head agrees with none is
// new, and is hashed while it is parsed (hashingReader) rather than in a
// serial pass of its own before parsing starts.

// headBytes is the length of the head a source's head_sha256 is taken of.
// It is small, so that a short known source still compares by its whole
// content, and far below sampleBytes, so that the sample read to pick a
// reader always holds it.
const headBytes = 4096

// headHash is the sha256 (hex) of the first min(len(b), headBytes) bytes
// of b: the head hash of content that starts with b, when b holds at
// least headBytes bytes or all of the content.
func headHash(b []byte) string {
	s := sha256.Sum256(b[:min(len(b), headBytes)])
	return hex.EncodeToString(s[:])
}

// opened is an open file with its first decompressed bytes already read.
type opened struct {
	rc         io.ReadCloser
	disk       *countingReader // bytes read from disk, for progress
	read       []byte          // read so far: the sample, and one byte more when there is more
	sample     []byte          // up to sampleBytes
	full       bool            // sample holds the whole content
	compressed bool
	err        error // a read error within the sample (a truncated gzip stream)
}

// readHead opens path and reads its first sampleBytes decompressed bytes,
// enough to pick a reader and to compare heads with the known sources. A
// read error is kept in opened.err, not returned: the file is then hashed
// whole first, which reports it as before.
func readHead(ctx context.Context, path string) (*opened, error) {
	disk := &countingReader{}
	rc, gz, err := openCounted(path, disk)
	if err != nil {
		return nil, err
	}
	// One byte past the sample tells a content of exactly sampleBytes
	// (full) from a longer one, as the hash pass tells them apart.
	h := &opened{rc: rc, disk: disk, compressed: gz, read: make([]byte, 0, sampleBytes+1)}
	for len(h.read) < cap(h.read) {
		if err := ctx.Err(); err != nil {
			rc.Close()
			return nil, err
		}
		n, err := rc.Read(h.read[len(h.read):cap(h.read)])
		h.read = h.read[:len(h.read)+n]
		if errors.Is(err, io.EOF) {
			// (the byte past the sample may come with the EOF)
			h.full = len(h.read) <= sampleBytes
			break
		}
		if err != nil {
			h.err = err
			break
		}
	}
	h.sample = h.read[:min(len(h.read), sampleBytes)]
	return h, nil
}

// content returns the decompressed content from its first byte: what was
// read already, then the rest of the file.
func (h *opened) content() io.Reader {
	return io.MultiReader(bytes.NewReader(h.read), h.rc)
}

// mayMatch reports whether some known source can be the content that
// starts with sample (all of it when shorter than sampleBytes), or a
// prefix of it: only then is the file hashed whole before it is read. A source k can match only if
// the content's first min(headBytes, k.Bytes) bytes hash to k's head hash;
// a source with no head hash (written by an older build) may match
// anything.
func mayMatch(known []forensics.SourceFile, sample []byte) bool {
	heads := map[int]string{} // by length compared: most sources compare headBytes
	for _, k := range known {
		if k.Bytes <= 0 {
			continue // nothing is the same as, or grew from, no content
		}
		if k.HeadSHA256 == "" {
			return true
		}
		n := int(min(k.Bytes, headBytes))
		if len(sample) < n {
			continue // the content is shorter than k
		}
		hh, ok := heads[n]
		if !ok {
			hh = headHash(sample[:n])
			heads[n] = hh
		}
		if hh == k.HeadSHA256 {
			return true
		}
	}
	return false
}
