package query

import "github.com/vidbench/forensics"

// Source returns the id of the file's source row (new or existing).
func (tx *FileTx) Source() int64 { return tx.SourceID }

var _ = forensics.SourceFile{}
