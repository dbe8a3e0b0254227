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

// ModelLoad looks for models that fail to load: checksum mismatches and
// size or hash checks failing (huggingface_hub's "Consistency check
// failed", safetensors' header errors), download errors (HTTP 4xx/5xx),
// initialization timeouts, corrupted weights; grouped per model. The name
// is one of the case's models (the names its logs give after model=,
// "model X", "on model X") found in the text, else read from the text
// (model=X, "model X", 'X'). Wider wording of a failure to load, download
// or initialize ("could not load X", "pipeline X unavailable", "not ready
// after 300 s", "GET https://.../x.safetensors -> 503") counts only when
// the record names one of the case's models or a model file. Two or more
// records for one model, less than 30 minutes apart, make a finding. Severity: P2 when other models still complete
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
	return unknownModel
}

// Detect implements Detector.
func (ModelLoad) Detect(ctx context.Context, c *Case) ([]forensics.Finding, error) {
	strong, err := c.matches(ctx, patModelLoad)
	if err != nil {
		return nil, fmt.Errorf("model_load: %w", err)
	}
	more, err := c.matches(ctx, patModelMore, patLoadFail)
	if err != nil {
		return nil, fmt.Errorf("model_load: %w", err)
	}
	var wide []forensics.Evidence
	for _, m := range more {
		if reModelMore.MatchString(m.Text) {
			strong = append(strong, m)
		} else {
			wide = append(wide, m)
		}
	}
	strong = union(strong, nil)
	var names []string
	if len(strong)+len(wide) > 0 {
		if names, err = caseModels(ctx, c); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	byModel := map[string][]forensics.Evidence{}
	for _, m := range strong {
		seen[m.Ref] = true
		name := namedModel(m.Text, names)
		if name == "" {
			name = modelOf(m.Text)
		}
		byModel[name] = append(byModel[name], m)
	}
	for _, m := range wide {
		if seen[m.Ref] {
			continue
		}
		name := namedModel(m.Text, names)
		if name == "" && modelFile.MatchString(m.Text) {
			name = modelOf(m.Text)
		}
		if name == "" {
			continue
		}
		byModel[name] = append(byModel[name], m)
	}
	absorbUnnamed(byModel, 5*time.Second)
	for name := range byModel {
		sortEvidence(byModel[name])
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
			f, err := textRule{kind: forensics.KindModelLoadFailure, patterns: []string{patModelLoad, patModelMore, patLoadFail}, what: "Model " + model + " fails to load",
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

// unknownModel is the group of records that name no model.
const unknownModel = "unknown model"

// absorbUnnamed moves each record that names no model (a traceback the
// journal keeps as its own entry, a bare "checksum mismatch") into the
// group of a model named by a record within near of it: the same failure
// told in two records. What no named record is near stays unknown.
func absorbUnnamed(byModel map[string][]forensics.Evidence, near time.Duration) {
	un := byModel[unknownModel]
	if len(un) == 0 || len(byModel) < 2 {
		return
	}
	type named struct {
		ts   time.Time
		name string
	}
	var all []named
	for name, evs := range byModel {
		if name == unknownModel {
			continue
		}
		for _, e := range evs {
			all = append(all, named{e.TS, name})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if !all[i].ts.Equal(all[j].ts) {
			return all[i].ts.Before(all[j].ts)
		}
		return all[i].name < all[j].name
	})
	var keep []forensics.Evidence
	for _, e := range un {
		// the nearest named record: the first at or after e, or the one before
		i := sort.Search(len(all), func(i int) bool { return !all[i].ts.Before(e.TS) })
		best, bestD := "", near+1
		for _, j := range []int{i - 1, i} {
			if j < 0 || j >= len(all) {
				continue
			}
			d := all[j].ts.Sub(e.TS)
			if d < 0 {
				d = -d
			}
			if d < bestD {
				best, bestD = all[j].name, d
			}
		}
		if best == "" {
			keep = append(keep, e)
			continue
		}
		byModel[best] = append(byModel[best], e)
	}
	if len(keep) == 0 {
		delete(byModel, unknownModel)
		return
	}
	byModel[unknownModel] = keep
}

// modelFile matches the mention of a model's files or hub.
var modelFile = regexp.MustCompile(`(?i)(huggingface\.co|hf_hub|huggingface_hub|\.safetensors|\.ckpt\b|\.gguf\b|\.onnx\b|pytorch_model|/models?/)`)

// caseModelName reads the model a log record is about: model=X,
// "model": "X", "model X", "on model X".
const caseModelName = `(?i)\bmodel["']?[=: ]+["']?([A-Za-z0-9][A-Za-z0-9_.\-/]*[A-Za-z0-9])`

// caseModels returns the names of the models the case's logs talk about
// (at least three records each, among the first 20,000 that name a model),
// longest first.
func caseModels(ctx context.Context, c *Case) ([]string, error) {
	if !c.Has(ctx, "logs") {
		return nil, nil
	}
	lo, hi := c.bounds()
	// the first 20,000 records that name a model are plenty to know them
	rows, err := c.DB.QueryContext(ctx, `SELECT m FROM (
	SELECT lower(regexp_extract(message, `+sqlString(caseModelName)+`, 1)) AS m FROM logs
	WHERE dup_of IS NULL AND ts >= ? AND ts < ? AND contains(message, 'odel') LIMIT 20000)
WHERE m <> '' GROUP BY m HAVING count(*) >= 3 ORDER BY length(m) DESC, m`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("model names: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return nil, err
		}
		if modelOf("model "+m) == m { // not a stop word
			out = append(out, m)
		}
	}
	return out, rows.Err()
}

// namedModel returns the first of names (longest first) that the text
// mentions as a whole word, or "".
func namedModel(text string, names []string) string {
	t := strings.ToLower(text)
	for _, n := range names {
		for from := 0; ; {
			i := strings.Index(t[from:], n)
			if i < 0 {
				break
			}
			i += from
			end := i + len(n)
			if (i == 0 || !modelChar(t[i-1])) && (end == len(t) || !modelChar(t[end])) {
				return n
			}
			from = i + 1
		}
	}
	return ""
}

func modelChar(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-' || b == '_' || b == '.'
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
