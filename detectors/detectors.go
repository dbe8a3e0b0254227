// Package detectors holds the root-cause detectors. Each lives in its own
// file behind the small Detector interface and is listed in one registry
// (All). Detectors read the case database through SQL (plus a little Go
// statistics) and never read evidence files; each works with whatever
// sources a case has and returns nothing when its sources are missing.
// Run runs them all, links effects to causes (caused_by) and ranks the
// findings so that the root cause comes first.
package detectors

import (
	"context"
	"fmt"
	"sort"

	"github.com/vidbench/forensics"
)

// Detector finds one family of problems in a case.
type Detector interface {
	Name() string
	Detect(ctx context.Context, c *Case) ([]forensics.Finding, error)
}

// All returns every detector, sorted by name.
func All() []Detector {
	ds := []Detector{
		AuthFailure{},
		CrashLoop{},
		Database{},
		DependencyDown{},
		DiskFull{},
		ErrorSpike{},
		GPUFault{},
		ModelLoad{},
		OOMSequence{},
		ServiceUnavailable{},
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].Name() < ds[j].Name() })
	return ds
}

// checkRegistry reports duplicate detector names.
func checkRegistry(ds []Detector) error {
	seen := map[string]bool{}
	for _, d := range ds {
		if seen[d.Name()] {
			return fmt.Errorf("detector %q registered twice", d.Name())
		}
		seen[d.Name()] = true
	}
	return nil
}

// Run runs every detector on the case and returns the findings ranked, root
// cause first, with ids f1, f2, ... and caused_by links.
func Run(ctx context.Context, c *Case, ds []Detector) ([]forensics.Finding, error) {
	if err := checkRegistry(ds); err != nil {
		return nil, err
	}
	// without an access log, user impact comes from the API's metrics
	if err := usePromTraffic(ctx, c); err != nil {
		return nil, err
	}
	var all []forensics.Finding
	for _, d := range ds {
		fs, err := d.Detect(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("detector %s: %w", d.Name(), err)
		}
		for i := range fs {
			fs[i].Detector = d.Name()
			if fs[i].CausedBy == nil {
				fs[i].CausedBy = []string{}
			}
			if fs[i].Evidence == nil {
				fs[i].Evidence = []forensics.Evidence{}
			}
		}
		all = append(all, fs...)
	}
	return rank(all), nil
}
