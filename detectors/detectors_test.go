package detectors

import (
	"context"
	"testing"
)

type fake struct{ name string }

func (f fake) Name() string                     { return f.name }
func (f fake) Detect(ctx context.Context) error { return nil }

func TestRegistryHasNoDuplicates(t *testing.T) {
	if err := checkRegistry(All()); err != nil {
		t.Fatal(err)
	}
	if err := checkRegistry([]Detector{fake{"a"}, fake{"a"}}); err == nil {
		t.Fatal("duplicate detector names not reported")
	}
}
