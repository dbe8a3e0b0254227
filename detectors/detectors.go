// Package detectors holds the root-cause detectors: each one file, behind
// the small Detector interface, listed in one registry (All). Detectors read
// the case database through SQL and never read evidence files. The registry
// is empty until the detectors land (see the detectors issue).
package detectors

import (
	"context"
	"fmt"
)

// Detector finds one kind of problem in the case database.
type Detector interface {
	Name() string
	Detect(ctx context.Context) error
}

// All returns every detector, sorted by name.
func All() []Detector { return nil }

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
