package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/vidbench/forensics"
)

// Access reads the HTTP access log written by the reverse proxy in front of
// the API, in the combined layout with a response time
//
//	10.0.3.7 - alice [20/Nov/2026:14:02:11 +0000] "POST /api/v1/benchmarks HTTP/1.1" 200 512 "-" "python-requests/2.31.0" response_time=0.231
//
// (response_time=, request_time=, rt= or a bare number after the user agent)
// and as JSON lines with keys such as ts, remote_addr, user, method, path,
// status, bytes, response_time, user_agent. Each line is stamped when the
// request ended; rows also carry started_at = ts - response_time. A JSON
// time without a zone ("2027-01-14T07:30:00.833", nginx's $time_local
// without its offset) is local time of the proxy's host: it is read in
// --tz; a time with Z or an offset is read as given.
type Access struct{}

var _ Reader = Access{}

// Kind implements Reader.
func (Access) Kind() string { return "access" }

// Sniff implements Reader.
func (Access) Sniff(s *Sample) int {
	ok, n := 0, 0
	var r forensics.HTTPRequest
	for _, l := range s.Lines {
		if isBlank(l) {
			continue
		}
		n++
		if parseAccess(l, time.UTC, &r) == nil {
			ok++
		}
	}
	if n == 0 || ok*10 < n*6 {
		return 0
	}
	return 90
}

// Read implements Reader.
func (Access) Read(ctx context.Context, in *Input) error {
	lr := NewLineReader(in.R, in.StartLine, in.StartOffset)
	var r forensics.HTTPRequest
	for lr.Next() {
		if lr.LineNo()&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		l := lr.Line()
		if isBlank(l.Text) {
			if err := in.Reject(l, "blank line"); err != nil {
				return err
			}
			continue
		}
		if err := parseAccess(l.Text, in.TZ, &r); err != nil {
			if err := in.Reject(l, err.Error()); err != nil {
				return err
			}
			continue
		}
		r.LineNo = l.No
		if err := in.HTTP(&r, l.Offset); err != nil {
			return err
		}
	}
	return lr.Err()
}

// parseAccess parses one access-log line into r (reset first). Times
// without a zone are read in loc.
func parseAccess(b []byte, loc *time.Location, r *forensics.HTTPRequest) error {
	*r = forensics.HTTPRequest{ResponseTime: -1}
	if len(b) > 0 && b[0] == '{' {
		return parseAccessJSON(b, loc, r)
	}
	rest := b
	var f []byte
	var ok bool
	if f, rest, ok = field(rest); !ok {
		return errAccess("no client address")
	}
	r.Client = str(f)
	if _, rest, ok = field(rest); !ok {
		return errAccess("no ident field")
	}
	if f, rest, ok = field(rest); !ok {
		return errAccess("no user field")
	}
	r.User = str(f)
	if len(rest) == 0 || rest[0] != '[' {
		return errAccess("no [time] after the user")
	}
	t, n, tok := parseApache(rest[1:])
	if !tok || len(rest) < n+2 || rest[n+1] != ']' {
		return errAccess("bad time stamp (want [20/Nov/2026:14:02:11 +0000])")
	}
	r.TS = t
	rest = bytes.TrimLeft(rest[n+2:], " ")
	req, rest, ok := quoted(rest)
	if !ok {
		return errAccess("no quoted request")
	}
	parseRequestLine(req, r)
	rest = bytes.TrimLeft(rest, " ")
	if f, rest, ok = field(rest); !ok {
		return errAccess("no status")
	}
	st, err := strconv.Atoi(string(f))
	if err != nil || st < 100 || st > 999 {
		return errAccess(fmt.Sprintf("bad status %q", trimForReason(f)))
	}
	r.Status = st
	if f, rest, ok = field(rest); ok {
		if string(f) != "-" {
			if v, err := strconv.ParseInt(string(f), 10, 64); err == nil {
				r.Bytes = v
			}
		}
	}
	if q, rr, ok := quoted(rest); ok {
		if string(q) != "-" {
			r.Referer = str(q)
		}
		rest = bytes.TrimLeft(rr, " ")
		if q, rr, ok := quoted(rest); ok {
			r.UserAgent = str(q)
			rest = rr
		}
	}
	// extras: key=value pairs or a bare response time
	for {
		rest = bytes.TrimLeft(rest, " ")
		if len(rest) == 0 {
			break
		}
		var tok []byte
		if rest[0] == '"' {
			q, rr, ok := quoted(rest)
			if !ok {
				break
			}
			tok, rest = q, rr
		} else {
			tok, rest, _ = field(rest)
		}
		if i := bytes.IndexByte(tok, '='); i > 0 {
			k, v := string(tok[:i]), bytes.Trim(tok[i+1:], `"`)
			switch k {
			case "response_time", "request_time", "rt", "rtime":
				if x, err := strconv.ParseFloat(string(v), 64); err == nil {
					r.ResponseTime = x
					continue
				}
			}
			r.Attrs = withAttr(r.Attrs, k, str(v))
			continue
		}
		if x, err := strconv.ParseFloat(string(tok), 64); err == nil && r.ResponseTime < 0 {
			r.ResponseTime = x
			continue
		}
		r.Attrs = withAttr(r.Attrs, "extra", str(tok))
	}
	if r.User == "-" {
		r.User = ""
	}
	return nil
}

func trimForReason(b []byte) string {
	if len(b) > 40 {
		b = b[:40]
	}
	return str(b)
}

type accessError string

func (e accessError) Error() string { return "not an access-log line: " + string(e) }

func errAccess(s string) error { return accessError(s) }

// field returns the next space-separated field.
func field(b []byte) (f, rest []byte, ok bool) {
	b = bytes.TrimLeft(b, " ")
	if len(b) == 0 {
		return nil, nil, false
	}
	i := bytes.IndexByte(b, ' ')
	if i < 0 {
		return b, nil, true
	}
	return b[:i], b[i+1:], true
}

// quoted returns the content of a leading "..." (with \" escapes).
func quoted(b []byte) (q, rest []byte, ok bool) {
	if len(b) == 0 || b[0] != '"' {
		return nil, b, false
	}
	for i := 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return b[1:i], b[i+1:], true
		}
	}
	return nil, b, false
}

func parseRequestLine(req []byte, r *forensics.HTTPRequest) {
	sp1 := bytes.IndexByte(req, ' ')
	sp2 := bytes.LastIndexByte(req, ' ')
	if sp1 > 0 && sp2 > sp1 && bytes.HasPrefix(req[sp2+1:], []byte("HTTP/")) {
		r.Method, r.Path, r.Protocol = str(req[:sp1]), str(req[sp1+1:sp2]), str(req[sp2+1:])
		return
	}
	if sp1 > 0 {
		r.Method, r.Path = str(req[:sp1]), str(req[sp1+1:])
		return
	}
	r.Path = str(req)
}

var (
	jaTime   = []string{"ts", "time", "timestamp", "@timestamp", "time_local", "time_iso8601"}
	jaClient = []string{"remote_addr", "client", "client_ip", "remote_ip", "ip"}
	jaUser   = []string{"user", "remote_user"}
	jaMethod = []string{"method", "request_method"}
	jaPath   = []string{"path", "uri", "request_uri", "url"}
	jaStatus = []string{"status", "status_code", "code"}
	jaBytes  = []string{"bytes", "body_bytes_sent", "bytes_sent", "size"}
	jaRT     = []string{"response_time", "request_time", "duration", "rt"}
	jaUA     = []string{"user_agent", "http_user_agent", "agent"}
	jaRef    = []string{"referer", "http_referer", "referrer"}
)

func parseAccessJSON(b []byte, loc *time.Location, r *forensics.HTTPRequest) error {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return errAccess("invalid JSON: " + err.Error())
	}
	take := func(keys []string) (any, bool) {
		for _, k := range keys {
			if v, ok := m[k]; ok {
				delete(m, k)
				return v, true
			}
		}
		return nil, false
	}
	tv, ok := take(jaTime)
	if !ok {
		return errAccess("JSON line without a time key (ts, time, timestamp)")
	}
	ts, _ := tv.(string)
	t, ok := parseJSONTime(ts, tv, loc)
	if !ok {
		return errAccess(fmt.Sprintf("bad time %v", tv))
	}
	r.TS = t
	sv, ok := take(jaStatus)
	if !ok {
		return errAccess("JSON line without a status key")
	}
	st, ok := num(sv)
	if !ok || st < 100 || st > 999 {
		return errAccess(fmt.Sprintf("bad status %v", sv))
	}
	r.Status = int(st)
	if v, ok := take(jaClient); ok {
		r.Client = fmt.Sprint(v)
	}
	if v, ok := take(jaUser); ok {
		if s, _ := v.(string); s != "-" {
			r.User = s
		}
	}
	if v, ok := take(jaMethod); ok {
		r.Method = fmt.Sprint(v)
	}
	if v, ok := take(jaPath); ok {
		r.Path = fmt.Sprint(v)
	}
	if v, ok := take([]string{"request"}); ok && r.Path == "" {
		if s, ok := v.(string); ok {
			parseRequestLine([]byte(s), r)
		}
	}
	if v, ok := take([]string{"protocol", "server_protocol"}); ok {
		r.Protocol = fmt.Sprint(v)
	}
	if v, ok := take(jaBytes); ok {
		if x, ok := num(v); ok {
			r.Bytes = int64(x)
		}
	}
	if v, ok := take(jaRT); ok {
		if x, ok := num(v); ok {
			r.ResponseTime = x
		}
	}
	if v, ok := take(jaUA); ok {
		r.UserAgent = fmt.Sprint(v)
	}
	if v, ok := take(jaRef); ok {
		if s := fmt.Sprint(v); s != "-" {
			r.Referer = s
		}
	}
	if len(m) > 0 {
		r.Attrs = m
	}
	return nil
}

func num(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}
