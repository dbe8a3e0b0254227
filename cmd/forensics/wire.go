package main

import (
	"context"

	"github.com/vidbench/forensics"
	"github.com/vidbench/forensics/ingest"
	"github.com/vidbench/forensics/query"
)

// storeAdapter lets a query.Writer serve as the ingest.Store.
type storeAdapter struct{ *query.Writer }

func (s storeAdapter) BeginFile(ctx context.Context, src forensics.SourceFile) (ingest.FileTx, error) {
	tx, err := s.Writer.BeginFile(ctx, src)
	if err != nil {
		return nil, err
	}
	return tx, nil
}

var _ ingest.Store = storeAdapter{}
