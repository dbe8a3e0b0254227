package main

import (
	"context"
	"os"
	"time"
)

// testHold is a test-only hook (FORENSICS_TEST_HOLD=PATH): with the case
// file open for writing, it creates PATH.ready and waits (up to a minute)
// until PATH.go exists, so a test can run a second, concurrent ingest
// against a file that is certainly locked.
func testHold(ctx context.Context, path string) {
	_ = os.WriteFile(path+".ready", nil, 0o644)
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if _, err := os.Stat(path + ".go"); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
