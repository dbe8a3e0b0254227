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
	return "unknown model"
}

// Detect implements Detector.
func (ModelLoad) Detect(ctx context.Context, c *Case) ([]forensics.Finding, error) {
	strong, err := c.matches(ctx, patModelLoad)
	if err != nil {
		return nil, fmt.Errorf("model_load: %w", err)
	}
	more, err := c.scan(ctx, `(?:`+patModelMore+`)|(?:`+patLoadFail+`)`)
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
	for name := range byModel {
		sortEvidence(byModel[name])
	}
	models := make([]string, 0, len(byModel))
	for m := range byModel {
		models = append(models, m)
	}
	sort.Strings(models)
	var out []forensics.Finding
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
			others, err := otherModelsRunning(ctx, c, model, f.Start, f.End)
			if err != nil {
				return nil, err
			}
			f.Details["other_models_completing_runs"] = others
			if others > 0 && f.Severity.Rank() < forensics.P2.Rank() && f.Severity != forensics.P0 {
				// one model failing while the rest works is partial
				f.Severity = forensics.P2
			}
			if f.Severity.Rank() > forensics.P2.Rank() {
				f.Severity = forensics.P2
			}
			out = append(out, f)
		}
	}
	return out, nil
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

// otherModelsRunning counts successful runs of other models in the stretch.
func otherModelsRunning(ctx context.Context, c *Case, model string, from, to time.Time) (int, error) {
	ok, err := c.matches(ctx, patRunOK)
	if err != nil {
		return 0, err
	}
	m := strings.ToLower(model)
	n := 0
	to = to.Add(5 * time.Minute)
	// ok is in time order: skip to the stretch, stop after it
	i := sort.Search(len(ok), func(i int) bool { return !ok[i].TS.Before(from) })
	for ; i < len(ok) && !ok[i].TS.After(to); i++ {
		if !strings.Contains(strings.ToLower(ok[i].Text), m) {
			n++
		}
	}
	return n, nil
}
