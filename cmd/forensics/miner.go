package main

import "github.com/vidbench/forensics/ingest"

func newMiner() ingest.Miner { return nil }
