package report

import (
	"testing"
	"time"
)

// A deployer's next steps right after the fault starts are the trigger;
// their first look at the system, and everyone else's actions, are
// responses.
func TestMarkPlanned(t *testing.T) {
	start := time.Date(2027, 2, 16, 8, 30, 51, 0, time.UTC)
	at := func(d time.Duration, user, kind string) action {
		a := action{user: user, mitigates: kind == "restart"}
		a.TS, a.Source, a.Kind = start.Add(d), "commands", kind
		return a
	}
	as := markPlanned([]action{
		at(-2*time.Minute, "dave", "other"),     // the migration
		at(20*time.Second, "dave", "restart"),   // the planned restart
		at(50*time.Second, "dave", "look_only"), // his first look
		at(60*time.Second, "frank", "restart"),  // someone else
		at(5*time.Minute, "dave", "restart"),    // later: a response
	}, start)
	want := []bool{false, true, false, false, false}
	for i, a := range as {
		if a.planned != want[i] {
			t.Errorf("action %d (%s %s): planned %v, want %v", i, a.user, a.Kind, a.planned, want[i])
		}
	}
	if as[1].mitigates {
		t.Error("a planned restart counts as a mitigation")
	}
}

// A command timed only by its session's start does not set the
// mitigation when a command with its own time does.
func TestMitigatedPrefersExactTimes(t *testing.T) {
	start := time.Date(2027, 3, 9, 9, 52, 17, 0, time.UTC)
	res := start.Add(9 * time.Minute)
	approx := action{mitigates: true, approx: true}
	approx.TS = start.Add(3 * time.Minute)
	exact := action{mitigates: true}
	exact.TS = start.Add(8*time.Minute + 45*time.Second)
	got := mitigatedAt([]action{approx, exact}, start, &res)
	if got == nil || !got.Equal(exact.TS) {
		t.Fatalf("mitigated %v, want %v", got, exact.TS)
	}
}

// The kernel's stack trace after an OOM kill belongs to the OOM event.
func TestFoldKernelLines(t *testing.T) {
	t0 := time.Date(2027, 3, 9, 9, 52, 17, 0, time.UTC)
	ev := func(text string) Event { return Event{TS: t0, Source: "journal", Text: text, Count: 1} }
	got := foldKernelLines([]Event{
		ev("pt_data_worker invoked oom-killer: gfp_mask=0x140cca"),
		ev("CPU: 168 PID: 24133 Comm: pt_data_worker Not tainted"),
		ev("Call Trace:"),
		ev(" <TASK>"),
		ev(" dump_stack_lvl+0x76/0xa0"),
		ev(" ? __alloc_pages+0x31f/0x350"),
		ev(" </TASK>"),
		ev("Out of memory: Killed process 23817 (gunicorn)"),
	})
	if len(got) != 2 {
		t.Fatalf("%d events after folding, want 2: %+v", len(got), got)
	}
}
