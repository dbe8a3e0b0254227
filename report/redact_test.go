package report

import (
	"strings"
	"testing"
	"time"
)

func TestRedact(t *testing.T) {
	cases := []struct {
		name, in, secret, keep string
	}{
		{"postgres dsn", "could not connect to postgres://bench:S3cretPw@db:5432/vid?sslmode=disable", "S3cretPw", "postgres://bench:"},
		{"postgresql dsn", `dsn="postgresql://app:hunter2@10.0.0.5/app"`, "hunter2", "@10.0.0.5/app"},
		{"redis url", "redis://:r3d1sPass@cache:6379/0", "r3d1sPass", "cache:6379"},
		{"libpq keywords", "host=db user=app password=pg-pass-123 dbname=vid", "pg-pass-123", "dbname=vid"},
		{"quoted password", "host=db password='a b c' user=x", "a b c", "user=x"},
		{"PGPASSWORD env", "PGPASSWORD=topsecret psql -h db -U app", "topsecret", "psql -h db"},
		{"ALTER ROLE in query text", "ALTER ROLE app PASSWORD 'rolepw' -- password: 'rolepw2'", "rolepw", "ALTER ROLE"},
		{"bearer header", "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.abcDEF123", "eyJhbGciOiJIUzI1NiJ9", "Authorization: Bearer"},
		{"basic header", "authorization=Basic dXNlcjpwYXNz", "dXNlcjpwYXNz", "authorization="},
		{"bare bearer", "retrying with bearer abcdef0123456789xyz", "abcdef0123456789xyz", "retrying"},
		{"query string token", "GET /api/v1/jobs?token=tok_9f8e7d6c&limit=5 HTTP/1.1", "tok_9f8e7d6c", "limit=5"},
		{"api_key", "calling upstream api_key=AbCdEf123456 status=500", "AbCdEf123456", "status=500"},
		{"json api key", `{"api_key": "k-12345-secret", "model": "x"}`, "k-12345-secret", `"model": "x"`},
		{"aws access key", "using credentials AKIAIOSFODNN7EXAMPLE for s3", "AKIAIOSFODNN7EXAMPLE", "for s3"},
		{"aws secret", "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI", "aws_secret_access_key="},
		{"gcp api key", "key AIzaSyA1234567890abcdefghijklmnopqrstuv in url", "AIzaSyA1234567890abcdefghijklmnopqrstuv", "in url"},
		{"private key", "\"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END PRIVATE KEY-----\\n\"", "MIIEvQIBADANBg", "private_key"},
		{"github token", "GITHUB_TOKEN ghp_abcdefghijklmnopqrstuvwxyz0123456789AB", "ghp_abcdefghijklmnopqrstuvwxyz0123456789AB", "GITHUB_TOKEN"},
		{"cli flag", "mysql --password hunter3 -h db", "hunter3", "-h db"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Redact(c.in)
			if strings.Contains(got, c.secret) {
				t.Errorf("Redact(%q) = %q: still holds %q", c.in, got, c.secret)
			}
			if !strings.Contains(got, c.keep) {
				t.Errorf("Redact(%q) = %q: lost %q", c.in, got, c.keep)
			}
			if !strings.Contains(got, Redacted) {
				t.Errorf("Redact(%q) = %q: no marker", c.in, got)
			}
		})
	}
}

func TestRedactLeavesOrdinaryText(t *testing.T) {
	for _, s := range []string{
		"Missing or invalid API token from 10.0.9.61 (POST /api/v1/benchmarks)",
		"FATAL:  password authentication failed for user \"app\"",
		"torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB",
		"GET https://example.com/api/v1/health 200",
		"connecting to postgres://app@db:5432/vid",
		"token budget exhausted at 14:02:11",
	} {
		if got := Redact(s); got != s {
			t.Errorf("Redact(%q) = %q, want unchanged", s, got)
		}
	}
}

func TestRedactTimelineCopies(t *testing.T) {
	tl := &Timeline{Incident: Incident{RootCause: "PGPASSWORD=x1y2z3 failed"}, Events: []Event{{TS: time.Unix(0, 0), Text: "password=abc"}}}
	r := RedactTimeline(tl)
	if strings.Contains(r.Incident.RootCause, "x1y2z3") || strings.Contains(r.Events[0].Text, "abc") {
		t.Errorf("not redacted: %+v", r)
	}
	if tl.Events[0].Text != "password=abc" {
		t.Error("RedactTimeline changed its input")
	}
}
