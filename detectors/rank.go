package detectors

import (
	"fmt"
	"sort"
	"time"

	"github.com/vidbench/forensics"
)

// causeOrder ranks kinds as causes: lower comes first when findings tie.
// Effects (what users see) come last.
var causeOrder = map[string]int{
	forensics.KindDiskFull:             0,
	forensics.KindHostOOM:              1,
	forensics.KindGPUFault:             2,
	forensics.KindGPUOOM:               3,
	forensics.KindLockContention:       4,
	forensics.KindConnectionExhaustion: 5,
	forensics.KindSlowQuery:            6,
	forensics.KindDependencyDown:       7,
	forensics.KindModelLoadFailure:     8,
	forensics.KindAuthFailure:          9,
	forensics.KindCrashLoop:            10,
	forensics.KindServiceUnavailable:   11,
	forensics.KindErrorSpike:           12,
}

// effects lists, for each effect kind, the kinds that can cause it.
var effects = map[string][]string{
	forensics.KindErrorSpike:           {"*"},
	forensics.KindServiceUnavailable:   {"*"},
	forensics.KindCrashLoop:            {forensics.KindDiskFull, forensics.KindHostOOM, forensics.KindGPUOOM, forensics.KindGPUFault, forensics.KindDependencyDown, forensics.KindModelLoadFailure},
	forensics.KindDependencyDown:       {forensics.KindDiskFull, forensics.KindHostOOM, forensics.KindConnectionExhaustion},
	forensics.KindSlowQuery:            {forensics.KindLockContention},
	forensics.KindConnectionExhaustion: {forensics.KindLockContention, forensics.KindSlowQuery},
}

func canCause(cause, effect string) bool {
	if cause == effect {
		return false
	}
	for _, k := range effects[effect] {
		if k == "*" {
			// any cause kind, but an effect of the same family does not cause another
			return causeOrder[cause] < causeOrder[forensics.KindCrashLoop] || (cause == forensics.KindCrashLoop && effect != forensics.KindCrashLoop)
		}
		if k == cause {
			return true
		}
	}
	return false
}

// rank links effects to their causes, spreads severity from effects to
// causes, orders findings root cause first and numbers them f1, f2, ...
func rank(fs []forensics.Finding) []forensics.Finding {
	n := len(fs)
	causes := make([][]int, n)
	for i := range fs {
		for j := range fs {
			if i == j || !canCause(fs[j].Kind, fs[i].Kind) {
				continue
			}
			// the cause starts no later than 2 minutes after the effect and
			// is still going (or ended less than 30 minutes before) when the
			// effect starts
			if fs[j].Start.After(fs[i].Start.Add(2*time.Minute)) || fs[j].End.Before(fs[i].Start.Add(-30*time.Minute)) {
				continue
			}
			if fs[j].Severity.Rank() == forensics.P3.Rank() {
				continue // no user impact: not a cause of anything
			}
			causes[i] = append(causes[i], j)
		}
		// Of the candidate causes, the ones that started first are the
		// cause; later ones are contributing or consequences themselves.
		if len(causes[i]) > 1 {
			earliest := fs[causes[i][0]].Start
			for _, j := range causes[i] {
				if fs[j].Start.Before(earliest) {
					earliest = fs[j].Start
				}
			}
			var primary []int
			for _, j := range causes[i] {
				if !fs[j].Start.After(earliest.Add(time.Minute)) {
					primary = append(primary, j)
				}
			}
			causes[i] = primary
		}
	}
	// spread severity to causes (a full disk causing a P0 outage is P0)
	for changed := true; changed; {
		changed = false
		for i := range fs {
			for _, j := range causes[i] {
				if w := fs[j].Severity.Worse(fs[i].Severity); w != fs[j].Severity {
					fs[j].Severity = w
					changed = true
				}
			}
		}
	}
	isCaused := make([]bool, n)
	for i := range fs {
		isCaused[i] = len(causes[i]) > 0
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		x, y := fs[order[a]], fs[order[b]]
		if isCaused[order[a]] != isCaused[order[b]] {
			return !isCaused[order[a]]
		}
		if x.Severity.Rank() != y.Severity.Rank() {
			return x.Severity.Rank() < y.Severity.Rank()
		}
		if causeOrder[x.Kind] != causeOrder[y.Kind] {
			return causeOrder[x.Kind] < causeOrder[y.Kind]
		}
		return x.Start.Before(y.Start)
	})
	id := make([]string, n)
	for pos, i := range order {
		id[i] = fmt.Sprintf("f%d", pos+1)
	}
	out := make([]forensics.Finding, 0, n)
	for _, i := range order {
		f := fs[i]
		f.ID = id[i]
		f.CausedBy = []string{}
		for _, j := range causes[i] {
			f.CausedBy = append(f.CausedBy, id[j])
		}
		sort.Strings(f.CausedBy)
		out = append(out, f)
	}
	return out
}
