package main

import (
	"github.com/vidbench/forensics"
	"github.com/vidbench/forensics/ingest"
	"github.com/vidbench/forensics/templates"
)

// miner adapts templates.Miner to ingest.Miner.
type miner struct{ m *templates.Miner }

func newMiner() ingest.Miner { return miner{templates.NewMiner(templates.Options{})} }

func (m miner) Add(message string) uint32 { return m.m.Add(message) }

func (m miner) NewMasker() func(dst []byte, message string) []byte {
	mk := &templates.Masker{}
	return mk.Append
}

func (m miner) AddMasked(masked []byte) uint32 { return m.m.AddMasked(masked) }

var _ ingest.MaskingMiner = miner{}

func (m miner) Templates() []forensics.Template {
	ts := m.m.Templates()
	out := make([]forensics.Template, len(ts))
	for i, t := range ts {
		out[i] = forensics.Template{ID: t.ID, Text: t.Text, Count: t.Count}
	}
	return out
}

func (m miner) Restore(ts []forensics.Template) {
	in := make([]templates.Template, len(ts))
	for i, t := range ts {
		in[i] = templates.Template{ID: t.ID, Text: t.Text, Count: t.Count}
	}
	m.m.Restore(in)
}
