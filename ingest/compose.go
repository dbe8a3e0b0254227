package ingest

import (
	"bytes"
	"context"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/vidbench/forensics"
)

// Compose reads the output of `docker-compose logs` (compose v1 prefixes
// "benchmark_1  | ", v2 "benchmark-1  | "), with or without --timestamps
// (an RFC 3339 nanosecond time after the bar). Each container's own line is
// parsed like any log line (app-log layouts, PostgreSQL and redis server
// logs, generic timestamps), keeping the compose service name. Lines of
// different containers are interleaved and not sorted: continuation lines
// (tracebacks) fold into the last record of the same container.
//
// Time: docker's time is exact and in UTC, while a container's own time
// often has no zone and is read in --tz, which is the host's zone and not
// necessarily the container's (redis and postgres images log in UTC). With
// --timestamps, docker's time is the record's ts, kept in attrs.docker_ts;
// the container's own time is used instead only when it is the same
// instant, that is when it lies at most 10 minutes before docker's (the
// time a line can wait in a buffered stdout) and not after it: then it is
// the app's own stamp, identical to the copy of the record in the app's own
// log file, which is how duplicates are found. Otherwise the own time is
// kept in attrs.own_ts and attrs.ts_source is "docker". Without
// --timestamps the container's own time (zone-less in --tz) is the ts.
type Compose struct{}

var _ Reader = Compose{}

// Kind implements Reader.
func (Compose) Kind() string { return "compose" }

// Sniff implements Reader.
func (Compose) Sniff(s *Sample) int {
	ok, n := 0, 0
	for _, l := range s.Lines {
		if isBlank(l) {
			continue
		}
		n++
		if _, _, good := composePrefix(l); good {
			ok++
		}
	}
	if n == 0 || ok*10 < n*8 {
		return 0
	}
	return 95
}

// composePrefix splits "name_1  | rest" into the container name and rest.
func composePrefix(b []byte) (name, rest []byte, ok bool) {
	i := 0
	for i < len(b) && i < 128 {
		c := b[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' {
			i++
			continue
		}
		break
	}
	if i == 0 || i >= len(b) || b[i] != ' ' {
		return nil, nil, false
	}
	j := i
	for j < len(b) && b[j] == ' ' {
		j++
	}
	if j >= len(b) || b[j] != '|' {
		return nil, nil, false
	}
	rest = b[j+1:]
	if len(rest) > 0 && rest[0] == ' ' {
		rest = rest[1:]
	}
	return b[:i], rest, true
}

// composeService strips the replica index: benchmark_1, benchmark-1 → benchmark.
func composeService(name string) string {
	i := len(name)
	for i > 0 && name[i-1] >= '0' && name[i-1] <= '9' {
		i--
	}
	if i < len(name) && i > 1 && (name[i-1] == '_' || name[i-1] == '-') {
		return name[:i-1]
	}
	return name
}

// Read implements Reader.
func (Compose) Read(ctx context.Context, in *Input) error {
	lr := NewLineReader(in.R, in.StartLine, in.StartOffset)
	folders := map[string]*folder{}
	var h head
	var lastTS time.Time // the latest time a line gave, for compose's own lines
	for lr.Next() {
		if lr.LineNo()&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		l := lr.Line()
		name, inner, ok := composePrefix(l.Text)
		if !ok {
			if isBlank(l.Text) {
				if err := in.Reject(l, "blank line"); err != nil {
					return err
				}
				continue
			}
			if st, ok := composeStatus(l.Text); ok {
				// compose's own lines, stamped with the last time seen; a
				// container named with its project (vidbench_benchmark_1)
				// is the service its prefixed lines name (benchmark_1)
				best := ""
				for name := range folders {
					if svc := composeService(name); len(svc) > len(best) && (strings.HasSuffix(st.service, "_"+svc) || strings.HasSuffix(st.service, "-"+svc)) {
						best = svc
					}
				}
				if best != "" {
					st.service = best
				}
				if err := composeStatusRecord(in, st, lastTS, l); err != nil {
					return err
				}
				continue
			}
			if err := in.Reject(l, "no compose prefix (want 'service_1  | ...')"); err != nil {
				return err
			}
			continue
		}
		cname := string(name)
		f := folders[cname]
		if f == nil {
			f = newFolder(in)
			folders[cname] = f
		}
		var dockerTS time.Time
		if t, n, zoned, ok := parseISO(inner, time.UTC); ok && zoned && n < len(inner) && inner[n] == ' ' && n >= 20 {
			dockerTS = t
			inner = inner[n+1:]
		} else if ok && zoned && n == len(inner) {
			dockerTS = t
			inner = nil
		}
		if !dockerTS.IsZero() {
			lastTS = dockerTS
		}
		if looksCombined(inner) {
			// an nginx (or other combined-format) access line in a
			// container's log is a request, as in an access log file;
			// the same request in both is counted once (dup_of)
			var req forensics.HTTPRequest
			if err := parseAccess(inner, in.TZ, &req); err == nil {
				req.LineNo = l.No
				req.Attrs = map[string]any{"container": cname, "service": composeService(cname)}
				if !dockerTS.IsZero() {
					req.Attrs["docker_ts"] = dockerTS.Format(time.RFC3339Nano)
				}
				if err := in.HTTP(&req, l.Offset); err != nil {
					return err
				}
				continue
			}
		}
		if parseTextHead(inner, in.TZ, in.Ref, &h) {
			if dockerTS.IsZero() && !h.ts.IsZero() {
				lastTS = h.ts
			}
			h.attrs = withAttr(h.attrs, "container", cname)
			if !dockerTS.IsZero() {
				h.attrs["docker_ts"] = dockerTS.Format(time.RFC3339Nano)
				if !sameInstant(h.ts, dockerTS) {
					h.attrs["own_ts"] = h.ts.Format(time.RFC3339Nano)
					h.attrs["ts_source"] = "docker"
					h.ts = dockerTS
				}
			}
			if h.service == "" {
				h.service = composeService(cname)
			}
			if err := f.start(&h, l); err != nil {
				return err
			}
			continue
		}
		// A line without its own time stamp continues the container's last
		// record when that record came with one (an app-log traceback and
		// the notes torch prints after it), or when it looks like a
		// continuation; a line that starts with a level word
		// ("INFO:     Started server process") is a record of its own.
		if f.has && !startsWithLevel(inner) && (f.pending.Layout != "compose" || looksContinuation(inner) || dockerTS.IsZero()) {
			if err := f.continueWith(l, inner, ""); err != nil {
				return err
			}
			continue
		}
		h.reset()
		h.ts = dockerTS
		h.message = bytes.TrimRight(inner, " ")
		h.layout = "compose"
		h.service = composeService(cname)
		h.attrs = map[string]any{"container": cname}
		if lv, ok := levelKeyword(inner); ok {
			h.level = lv
		}
		if startsWithLevel(inner) {
			// uvicorn and friends: "INFO:     Started server process [52917]"
			_, rest, _ := field(h.message)
			h.message = bytes.TrimLeft(rest, " ")
		}
		if err := f.start(&h, l); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(folders))
	for n := range folders {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := folders[n].flush(); err != nil {
			return err
		}
	}
	return lr.Err()
}

// Bounds of a container's own time around docker's for the two to be the
// same instant: a line may wait in a buffered stdout before docker reads
// it, and is never read before it was written (the container's clock is
// the host's: they share the kernel). A zone misread is 15 minutes or more.
const (
	ownBeforeDocker = 10 * time.Minute
	ownAfterDocker  = time.Second
)

// sameInstant reports whether a container's own time own and docker's time
// of the same line are the same instant (see ownBeforeDocker).
func sameInstant(own, docker time.Time) bool {
	d := docker.Sub(own)
	return d >= -ownAfterDocker && d <= ownBeforeDocker
}

// startsWithLevel reports whether the first word of b is a level word
// ("INFO:", "ERROR", "[warn]").
func startsWithLevel(b []byte) bool {
	w, _, ok := field(b)
	if !ok || len(b) == 0 || b[0] == ' ' || b[0] == '\t' {
		return false
	}
	w = bytes.Trim(w, "[]:")
	_, isLevel := forensics.ParseLevel(string(w))
	return isLevel && len(w) >= 3 && (w[0] < '0' || w[0] > '9')
}

// looksCombined is a cheap test for an access line in the combined layout
// ("10.0.3.7 - alice [19/Aug/2027:00:30:01 +0000] \"POST /x HTTP/1.1\" 201
// ..."): an address first, then " - ", a bracketed time and a quoted
// request.
func looksCombined(b []byte) bool {
	if len(b) < 20 || !(b[0] >= '0' && b[0] <= '9' || b[0] >= 'a' && b[0] <= 'f' || b[0] >= 'A' && b[0] <= 'F' || b[0] == ':') {
		return false
	}
	i := bytes.IndexByte(b, ' ')
	return i > 0 && bytes.HasPrefix(b[i:], []byte(" - ")) && bytes.Contains(b, []byte(`] "`))
}

// composeStatusLine matches the lines docker-compose prints itself, without
// a container prefix: "Attaching to a_1, b_1", "Gracefully stopping...",
// "Stopping a_1 ... done", "a_1 exited with code 137", v2's "Container a-1
// Started", "Aborting on container exit...".
var composeStatusLine = regexp.MustCompile(`^(?:(Attaching to|Gracefully stopping|Aborting on container exit|(?:Stopping|Starting|Creating|Recreating|Removing|Killing|Restarting|Pulling) [A-Za-z0-9_.-]+ \.\.\.|Container [A-Za-z0-9_.-]+ +[A-Z][a-z]+|Network |Volume )|([A-Za-z0-9_.-]+) exited with code (-?[0-9]+))`)

type composeStatusInfo struct {
	container, service string
	level              forensics.Level
}

// composeStatus tells whether a line without a prefix is one of
// compose's own, with the container it names and a level (WARNING for a
// container that exited with a non-zero code).
func composeStatus(line []byte) (composeStatusInfo, bool) {
	m := composeStatusLine.FindSubmatch(bytes.TrimRight(line, " \r"))
	if m == nil {
		return composeStatusInfo{}, false
	}
	st := composeStatusInfo{level: forensics.LevelInfo}
	if len(m[2]) > 0 {
		st.container = string(m[2])
		st.service = composeService(st.container)
		if string(m[3]) != "0" {
			st.level = forensics.LevelWarning
		}
	}
	return st, true
}

// composeStatusRecord stores one of compose's own lines as a record of its
// own (never a continuation), at the last time an earlier line gave
// (attrs ts_source: previous_line), or with no time when none did.
func composeStatusRecord(in *Input, st composeStatusInfo, last time.Time, l *Line) error {
	attrs := map[string]any{"ts_source": "previous_line"}
	if last.IsZero() {
		attrs["ts_source"] = "none"
	}
	if st.container != "" {
		attrs["container"] = st.container
	}
	r := forensics.LogRecord{LineNo: l.No, Lines: 1, TS: last, Service: st.service, Level: st.level,
		Message: string(bytes.TrimRight(l.Text, " \r")), Layout: "compose-status", Attrs: attrs}
	return in.Log(&r, l.Offset)
}
