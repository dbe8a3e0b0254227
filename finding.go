package forensics

import "time"

// Severity of a finding or an incident, from the playbook's table made
// concrete in DESIGN.md: P0 complete outage, P1 major impairment, P2
// partial (one model or feature), P3 minor, no user impact.
type Severity string

// The severities, most severe first.
const (
	P0 Severity = "P0"
	P1 Severity = "P1"
	P2 Severity = "P2"
	P3 Severity = "P3"
)

// Rank orders severities: 0 for P0 up to 3 for P3, 4 for anything else.
func (s Severity) Rank() int {
	switch s {
	case P0:
		return 0
	case P1:
		return 1
	case P2:
		return 2
	case P3:
		return 3
	}
	return 4
}

// Worse returns the more severe of s and o.
func (s Severity) Worse(o Severity) Severity {
	if o.Rank() < s.Rank() {
		return o
	}
	return s
}

// Finding kinds (DESIGN.md "JSON contracts").
const (
	KindErrorSpike           = "error_spike"
	KindGPUOOM               = "gpu_oom"
	KindGPUFault             = "gpu_fault"
	KindHostOOM              = "host_oom"
	KindSlowQuery            = "slow_query"
	KindLockContention       = "lock_contention"
	KindConnectionExhaustion = "connection_exhaustion"
	KindServiceUnavailable   = "service_unavailable"
	KindDiskFull             = "disk_full"
	KindCrashLoop            = "crash_loop"
	KindDependencyDown       = "dependency_down"
	KindModelLoadFailure     = "model_load_failure"
	KindAuthFailure          = "auth_failure"
)

// Evidence is one row of the case that supports a finding; Ref (table:id)
// resolves to exactly one row.
type Evidence struct {
	TS     time.Time `json:"ts"`
	Source string    `json:"source"`
	Ref    string    `json:"ref"`
	Text   string    `json:"text"`
	Link   string    `json:"link,omitempty"` // which link of a chain this is (first_oom, failed_run, exit, restart, ...)
}

// Finding is a detector's result. The JSON field names are a contract
// other tools read: fields may be added, never renamed or removed.
type Finding struct {
	ID          string         `json:"id"`
	Detector    string         `json:"detector"`
	Kind        string         `json:"kind"`
	Severity    Severity       `json:"severity"`
	Start       time.Time      `json:"start"`
	End         time.Time      `json:"end"`
	Title       string         `json:"title"`
	RootCause   string         `json:"root_cause"`
	Confidence  float64        `json:"confidence"`
	CausedBy    []string       `json:"caused_by"`
	EvidenceSQL string         `json:"evidence_sql"`
	Evidence    []Evidence     `json:"evidence"`
	Services    []string       `json:"services,omitempty"`
	Details     map[string]any `json:"details,omitempty"`
}
