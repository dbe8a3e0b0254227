package report

import (
	"github.com/vidbench/forensics"
	"regexp"
)

// Redacted replaces a secret in report and timeline output.
const Redacted = "[REDACTED]"

// secretKeys are the names whose values are secrets in key=value, key:
// value and JSON forms (DSNs, query strings, environment, configs).
const secretKeys = `pgpassword|password|passwd|pwd|passphrase|secret|client_secret|secret_key|secret_access_key|aws_secret_access_key|aws_session_token|access_token|refresh_token|id_token|auth_token|token|api_key|apikey|api-key|x-api-key|private_key|private_key_id|sslpassword`

type redactRule struct {
	re   *regexp.Regexp
	repl string
}

var redactRules = []redactRule{
	// PEM private keys (GCP service-account JSON holds one)
	{regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----(?s:.*?)(-----END [A-Z ]*PRIVATE KEY-----|$)`), Redacted},
	// the password of a URL or DSN: scheme://user:PASSWORD@host
	{regexp.MustCompile(`(?i)(\b[a-z][a-z0-9+.\-]*://[^:/@\s]*:)[^@\s/]+(@)`), "${1}" + Redacted + "${2}"},
	// Authorization headers: Bearer/Basic/Token credentials
	{regexp.MustCompile(`(?i)(\bauthorization["']?\s*[:=]\s*["']?)((?:bearer|basic|token|digest|negotiate)\s+)?[^\s"',;]+`), "${1}${2}" + Redacted},
	{regexp.MustCompile(`(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]{8,}=*`), "${1}" + Redacted},
	// key=value, key: value, "key": "value", --password value
	{regexp.MustCompile(`(?i)\b(` + secretKeys + `)(["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,'"})\]]+)`), "${1}${2}" + Redacted},
	// SQL: ALTER ROLE app PASSWORD 'x', CREATE USER ... WITH PASSWORD 'x'
	{regexp.MustCompile(`(?i)(\bpassword\s+)('[^']*'|"[^"]*")`), "${1}" + Redacted},
	{regexp.MustCompile(`(?i)(--(?:password|token|api-key|secret)[= ]\s*)("[^"]*"|'[^']*'|\S+)`), "${1}" + Redacted},
	// cloud and service keys recognisable by shape
	{regexp.MustCompile(`\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b`), Redacted},
	{regexp.MustCompile(`\bAIza[0-9A-Za-z\-_]{35}`), Redacted},
	{regexp.MustCompile(`\bgh[pousr]_[A-Za-z0-9]{36,}\b`), Redacted},
	{regexp.MustCompile(`\bxox[abprs]-[A-Za-z0-9-]{10,}`), Redacted},
	{regexp.MustCompile(`\bsk-[A-Za-z0-9_\-]{20,}`), Redacted},
	{regexp.MustCompile(`\beyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]+`), Redacted},
}

// Redact hides passwords, tokens and keys in s: DSN and URL passwords,
// password=/PGPASSWORD=, Authorization and bearer tokens, token=/api_key=
// values, AWS access keys, GCP API keys and private keys, and common
// service tokens. The case file keeps the raw evidence; only what people
// read is redacted.
func Redact(s string) string {
	for _, r := range redactRules {
		s = r.re.ReplaceAllString(s, r.repl)
	}
	return s
}

// RedactTimeline returns a copy of tl with every text from the evidence
// redacted.
func RedactTimeline(tl *Timeline) *Timeline {
	if tl == nil {
		return nil
	}
	out := *tl
	out.Incident.RootCause = Redact(tl.Incident.RootCause)
	out.Incident.Title = Redact(tl.Incident.Title)
	out.Events = make([]Event, len(tl.Events))
	for i, e := range tl.Events {
		e.Text = Redact(e.Text)
		out.Events[i] = e
	}
	return &out
}

// RedactFindings returns a copy of fs with every text from the evidence
// redacted: titles, root causes, evidence texts and details.
func RedactFindings(fs []forensics.Finding) []forensics.Finding {
	out := make([]forensics.Finding, len(fs))
	for i, f := range fs {
		f.Title = Redact(f.Title)
		f.RootCause = Redact(f.RootCause)
		ev := make([]forensics.Evidence, len(f.Evidence))
		for j, e := range f.Evidence {
			e.Text = Redact(e.Text)
			ev[j] = e
		}
		f.Evidence = ev
		if len(f.Details) > 0 {
			d := make(map[string]any, len(f.Details))
			for k, v := range f.Details {
				if s, ok := v.(string); ok {
					v = Redact(s)
				}
				d[k] = v
			}
			f.Details = d
		}
		out[i] = f
	}
	return out
}
