package detectors

import "testing"

func TestRegistryHasNoDuplicates(t *testing.T) {
	if err := checkRegistry(All()); err != nil {
		t.Fatal(err)
	}
}
