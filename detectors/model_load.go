package detectors

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/vidbench/forensics"
)

// ModelLoad looks for models that fail to load: checksum mismatches,
// download errors (HTTP 4xx/5xx), initialization timeouts, corrupted
// weights; grouped per model (the name is read from the text: model=X,
// "model X", 'X'). Two or more records for one model, less than 30 minutes
// apart, make a finding. Severity: P2 when other models still complete
// runs in the same stretch (one model failing while the rest works), else
// the user impact over the stretch. Evidence: first, middle and last record.
type ModelLoad struct{}

var _ Detector = ModelLoad{}

// Name implements Detector.
func (ModelLoad) Name() string { return "model_load" }

var modelName = regexp.MustCompile(`(?i)model[ =:'"]+([A-Za-z0-9][A-Za-z0-9_.\-/]*[A-Za-z0-9])`)

// modelOf extracts a model name from a record's text.
func modelOf(text string) string {
	for _, m := range modelName.FindAllStringSubmatch(text, -1) {
		switch strings.ToLower(m[1]) {
		case "load", "loading", "download", "the", "from", "file", "weights", "checkpoint", "in", "for", "registry", "cache":
			continue
		}
		return m[1]
	}
	return "unknown model"
}

// Detect implements Detector.
func (ModelLoad) Detect(ctx context.Context, c *Case) ([]forensics.Finding, error) {
	ms, err := c.matches(ctx, patModelLoad)
	if err != nil {
		return nil, fmt.Errorf("model_load: %w", err)
	}
	byModel := map[string][]forensics.Evidence{}
	for _, m := range ms {
		byModel[modelOf(m.Text)] = append(byModel[modelOf(m.Text)], m)
	}
	models := make([]string, 0, len(byModel))
	for m := range byModel {
		models = append(models, m)
	}
	sort.Strings(models)
	var out []forensics.Finding
	var stretches []runStretch
	for _, model := range models {
		for _, cl := range clusters(byModel[model], 30*time.Minute) {
			if len(cl) < 2 {
				continue
			}
			f, err := textRule{kind: forensics.KindModelLoadFailure, patterns: []string{patModelLoad}, what: "Model " + model + " fails to load",
				rootCause: "model " + model + " could not be loaded"}.finding(ctx, c, cl)
			if err != nil {
				return nil, err
			}
			f.Services = []string{model}
			out = append(out, f)
			stretches = append(stretches, runStretch{Model: model, From: f.Start, To: f.End.Add(5 * time.Minute)})
		}
	}
	others, err := c.countRunsOK(ctx, stretches)
	if err != nil {
		return nil, fmt.Errorf("model_load: %w", err)
	}
	for i := range out {
		f := &out[i]
		f.Details["other_models_completing_runs"] = others[i]
		if others[i] > 0 && f.Severity.Rank() < forensics.P2.Rank() && f.Severity != forensics.P0 {
			// one model failing while the rest works is partial
			f.Severity = forensics.P2
		}
		if f.Severity.Rank() > forensics.P2.Rank() {
			f.Severity = forensics.P2
		}
	}
	return out, nil
}

// runStretch is a model and a time range, both ends included.
type runStretch struct {
	Model    string
	From, To time.Time
}

// countRunsOK counts, for each stretch, the completed runs (text records
// matching patRunOK) in it that do not name the stretch's model (compared
// lower-cased): how many runs of other models succeeded meanwhile. One
// scan for all stretches, one filtered count per stretch. Records that are
// plain ASCII are compared in SQL (lower() is then strings.ToLower); the
// others come back and are compared in Go, as are all records when a
// model name is not ASCII.
func (c *Case) countRunsOK(ctx context.Context, ss []runStretch) ([]int, error) {
	out := make([]int, len(ss))
	if len(ss) == 0 {
		return out, nil
	}
	match, err := matchAnySQL("text", []string{patRunOK})
	if err != nil {
		return nil, err
	}
	models := make([]string, len(ss))
	counts := make([]string, len(ss))
	allInGo := false
	lo, hi := ss[0].From, ss[0].To
	for i, s := range ss {
		models[i] = strings.ToLower(s.Model)
		lo, hi = minTime(lo, s.From), maxTime(hi, s.To)
		if !isASCII(models[i]) {
			counts[i], allInGo = "0", true
			continue
		}
		counts[i] = fmt.Sprintf("count(*) FILTER (WHERE ascii AND ts >= %s AND ts <= %s AND NOT contains(lower_text, %s))",
			sqlTime(s.From), sqlTime(s.To), sqlString(models[i]))
	}
	inGo := "NOT ascii"
	if allInGo {
		inGo = "true"
	}
	q := `WITH txt AS (` + c.textSQL(ctx) + `),
ok AS (SELECT ts, text, lower(text) AS lower_text, strlen(text) = length(text) AS ascii FROM txt
       WHERE ts >= ` + sqlTime(lo) + ` AND ts <= ` + sqlTime(hi) + ` AND ` + match + `)
SELECT ` + strings.Join(counts, ", ") + `, coalesce(list(ts) FILTER (WHERE ` + inGo + `), []),
       coalesce(list(text) FILTER (WHERE ` + inGo + `), []), coalesce(list(ascii) FILTER (WHERE ` + inGo + `), [])
FROM ok`
	dest := make([]any, len(ss)+3)
	ns := make([]int, len(ss))
	for i := range ns {
		dest[i] = &ns[i]
	}
	var tss, texts, asciis []any
	dest[len(ss)], dest[len(ss)+1], dest[len(ss)+2] = &tss, &texts, &asciis
	if err := c.DB.QueryRowContext(ctx, q).Scan(dest...); err != nil {
		return nil, fmt.Errorf("completed runs: %w", err)
	}
	if len(tss) != len(texts) || len(tss) != len(asciis) {
		return nil, fmt.Errorf("completed runs: %d times for %d texts", len(tss), len(texts))
	}
	for i, s := range ss {
		out[i] = ns[i]
		for k := range texts {
			ts, _ := tss[k].(time.Time)
			text, _ := texts[k].(string)
			if ts.Before(s.From) || ts.After(s.To) {
				continue
			}
			// an ASCII model's records that SQL took for ASCII were counted there
			if isASCII(models[i]) && asciis[k] == true {
				continue
			}
			if !strings.Contains(strings.ToLower(text), models[i]) {
				out[i]++
			}
		}
	}
	return out, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
