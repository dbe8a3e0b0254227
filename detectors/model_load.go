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
