package report

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vidbench/forensics"
)

// Incident is the "incident" object of the timeline JSON contract
// (DESIGN.md). Times are UTC; a milestone nobody can see in the evidence is
// null.
type Incident struct {
	Severity        forensics.Severity `json:"severity"`
	Window          [2]time.Time       `json:"window"`
	Start           *time.Time         `json:"start"`
	Detected        *time.Time         `json:"detected"`
	Responded       *time.Time         `json:"responded"`
	Mitigated       *time.Time         `json:"mitigated"`
	Resolved        *time.Time         `json:"resolved"`
	TTD             *int64             `json:"ttd_s"`
	TTM             *int64             `json:"ttm_s"`
	TTR             *int64             `json:"ttr_s"`
	AvailabilityPct *float64           `json:"availability_pct"`
	UsersImpacted   int64              `json:"users_impacted"`
	RootCause       string             `json:"root_cause"`
	RootFinding     string             `json:"root_finding"`
	Services        []string           `json:"services"`
	// additions
	Title        string `json:"title,omitempty"`
	ResolvedHeld bool   `json:"resolved_held"`
	// ResolvedBy is the record that shows the return to baseline when
	// one does (the first completed run after a fault that made runs fail),
	// and ResolvedRef its evidence ref.
	ResolvedBy     string `json:"resolved_by,omitempty"`
	ResolvedRef    string `json:"resolved_ref,omitempty"`
	FailedRequests int64  `json:"failed_requests"`
	Requests       int64  `json:"requests"`
	Found          bool   `json:"found"`
}

// Event is one line of the timeline.
type Event struct {
	TS       time.Time `json:"ts"`
	Phase    string    `json:"phase"` // trigger, impact, detection, response, recovery
	Source   string    `json:"source"`
	Text     string    `json:"text"`
	Ref      string    `json:"ref"`
	Count    int       `json:"count"`
	Kind     string    `json:"kind,omitempty"`
	Severity string    `json:"severity,omitempty"`
	Last     time.Time `json:"last,omitempty"` // last occurrence, when Count > 1

	routine bool // a log template already seen before the window
}

// Timeline is the incident and its events.
type Timeline struct {
	Incident Incident `json:"incident"`
	Events   []Event  `json:"events"`
}

// Phases in the order an incident goes through them.
const (
	PhaseTrigger   = "trigger"
	PhaseImpact    = "impact"
	PhaseDetection = "detection"
	PhaseResponse  = "response"
	PhaseRecovery  = "recovery"
)

// mitigationPattern matches log lines that are human actions reducing
// impact, for cases without shell history: config changes, maintenance
// mode, the trace of pg_terminate_backend, cleanups.
const mitigationPattern = `(?i)(set to .* \(was |config(uration)? (changed|updated|reloaded)|maintenance mode (enabled|on|activated)|terminating connection due to administrator command|cache (cleared|purged)|re-?download(ed|ing)? model|scaled? (up|out) to)`

// hardwareStatePattern matches log lines that report a device's state
// rather than the service failing: a lost GPU stays lost (an exporter
// keeps saying so) until a reboot, while the service recovers without it.
// They do not delay the resolution.
const hardwareStatePattern = `(?i)(GPU is lost|fallen off the bus|Unable to determine the device handle)`

// humanPattern matches log lines showing a person at work.
const humanPattern = `(?i)(set to .* \(was |maintenance mode (enabled|disabled|activated|deactivated|turned|switched)|administrator command|Accepted (publickey|password) for|session opened for user|sudo: )`

// BuildTimeline reconstructs the incident from the ranked findings (root
// cause first) and the events of the case.
func BuildTimeline(ctx context.Context, q Querier, fs []forensics.Finding) (*Timeline, error) {
	tl := &Timeline{Events: []Event{}}
	inc := &tl.Incident
	inc.Services = []string{}
	var root *forensics.Finding
	for i := range fs {
		if fs[i].Severity.Rank() <= forensics.P2.Rank() {
			root = &fs[i]
			break
		}
	}
	if root == nil {
		inc.Severity = forensics.P3
		inc.RootCause = "no finding with user impact"
		if len(fs) > 0 {
			inc.Severity = fs[0].Severity
		}
		return tl, nil
	}
	inc.Found = true
	inc.Severity = root.Severity
	inc.RootFinding = root.ID
	inc.RootCause = root.RootCause
	inc.Title = root.Title
	related := relatedFindings(fs, root)
	start, end := root.Start, root.End
	for _, f := range related {
		if f.Start.Before(start) {
			start = f.Start
		}
		if f.End.After(end) {
			end = f.End
		}
		inc.Severity = inc.Severity.Worse(f.Severity)
		for _, s := range f.Services {
			inc.Services = appendUnique(inc.Services, s)
		}
	}
	inc.Start = &start
	// the window: a little before the start, and after the end long
	// enough to see recovery hold
	lo, hi := start.Add(-10*time.Minute), end.Add(20*time.Minute)
	var spanLo, spanHi sql.NullTime
	if err := q.QueryRowContext(ctx, `SELECT min(first_ts), max(last_ts) FROM sources`).Scan(&spanLo, &spanHi); err == nil && spanLo.Valid {
		if lo.Before(spanLo.Time) {
			lo = spanLo.Time.UTC()
		}
		if hi.After(spanHi.Time) {
			hi = spanHi.Time.UTC()
		}
	}
	inc.Window = [2]time.Time{lo, hi}

	has := tablesOf(ctx, q)
	// what the milestones and the event list need, read side by side
	var (
		wg                sync.WaitGroup
		detected          *time.Time
		actions           []action
		res               time.Time
		held              bool
		collapsed         []Event
		errAlert, errAct  error
		errRes, errEvents error
	)
	wg.Add(4)
	go func() {
		defer wg.Done()
		detected, errAlert = firstAlert(ctx, q, has, start.Add(-5*time.Minute), hi)
	}()
	go func() {
		defer wg.Done()
		actions, errAct = humanActions(ctx, q, has, start.Add(-30*time.Minute), hi)
		actions = markPlanned(actions, start)
		for len(actions) > 0 && actions[0].TS.Before(start.Add(-5*time.Minute)) {
			actions = actions[1:]
		}
	}()
	go func() {
		defer wg.Done()
		res, held, errRes = resolvedAt(ctx, q, has, start, end, hi)
	}()
	go func() {
		defer wg.Done()
		collapsed, errEvents = collapsedEvents(ctx, q, has, lo, hi)
	}()
	wg.Wait()
	for _, err := range []error{errAlert, errAct, errRes, errEvents} {
		if err != nil {
			return nil, err
		}
	}
	inc.Detected = detected
	for _, a := range actions {
		// what people did before the fault (a deploy, a git pull) is its
		// trigger, not a response
		if a.TS.Before(start) || a.planned {
			continue
		}
		if inc.Responded == nil {
			t := a.TS
			inc.Responded = &t
			break
		}
	}
	// nothing is resolved while the service is still down (without an
	// access log, only its Prometheus targets may show it)
	for _, f := range related {
		if f.Kind == forensics.KindServiceUnavailable && !res.IsZero() && f.End.After(res) {
			res = f.End
		}
	}
	// nor before the root cause's own evidence ends (a low-rate fault:
	// runs failing every few minutes, a firing alert that has not cleared);
	// the database findings end at the pg_stat snapshot after the fact, a
	// bound rather than a time the evidence shows, and do not count here
	if !res.IsZero() && root.End.After(res) && !snapshotBounded(root.Kind) {
		res = root.End
	}
	// a fault that made model runs fail is over when runs complete again
	if !res.IsZero() && (root.Kind == forensics.KindGPUOOM || root.Kind == forensics.KindModelLoadFailure) {
		model := ""
		if root.Kind == forensics.KindModelLoadFailure && len(root.Services) == 1 {
			model = root.Services[0]
		}
		ok, err := firstRunOK(ctx, q, has, res, model)
		if err != nil {
			return nil, err
		}
		if ok != nil {
			res = ok.TS
			inc.ResolvedBy, inc.ResolvedRef = ok.Text, ok.Ref
		}
	}
	if !res.IsZero() {
		inc.Resolved = &res
		inc.ResolvedHeld = held
	}
	inc.Mitigated = mitigatedAt(actions, start, inc.Resolved)
	secs := func(t *time.Time) *int64 {
		if t == nil {
			return nil
		}
		v := int64(t.Sub(start).Seconds())
		return &v
	}
	inc.TTD, inc.TTM, inc.TTR = secs(inc.Detected), secs(inc.Mitigated), secs(inc.Resolved)
	until := end
	if inc.Resolved != nil {
		until = *inc.Resolved
	}
	var services []string
	var errAvail, errSvc error
	wg.Add(2)
	go func() {
		defer wg.Done()
		errAvail = availability(ctx, q, has, inc, start, until)
	}()
	go func() {
		defer wg.Done()
		services, errSvc = errorServices(ctx, q, has, start, until)
	}()
	wg.Wait()
	if errAvail != nil {
		return nil, errAvail
	}
	if errSvc != nil {
		return nil, errSvc
	}
	for _, s := range services {
		inc.Services = appendUnique(inc.Services, s)
	}
	sort.Strings(inc.Services)
	tl.Events = events(inc, related, actions, collapsed)
	return tl, nil
}

// snapshotBounded says whether findings of a kind end at a snapshot
// (pg_stat_statements, pg_locks, pg_stat_activity) taken after the fact.
func snapshotBounded(kind string) bool {
	switch kind {
	case forensics.KindSlowQuery, forensics.KindLockContention, forensics.KindConnectionExhaustion:
		return true
	}
	return false
}

// errorServices lists the services with error records between from and to.
func errorServices(ctx context.Context, q Querier, has map[string]bool, from, to time.Time) ([]string, error) {
	if !has["logs"] {
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT service FROM logs WHERE dup_of IS NULL AND level IN ('ERROR', 'CRITICAL') AND service IS NOT NULL AND ts >= ? AND ts <= ? ORDER BY 1`, from, to)
	if err != nil {
		return nil, fmt.Errorf("services with errors: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if rows.Scan(&s) == nil {
			out = append(out, s)
		}
	}
	return out, rows.Err()
}

// relatedFindings are the findings of the same incident as root: root, the
// findings it causes, and those overlapping its time with user impact.
func relatedFindings(fs []forensics.Finding, root *forensics.Finding) []forensics.Finding {
	var out []forensics.Finding
	for _, f := range fs {
		if f.ID == root.ID {
			out = append(out, f)
			continue
		}
		caused := false
		for _, c := range f.CausedBy {
			if c == root.ID {
				caused = true
			}
		}
		overlaps := !f.Start.After(root.End.Add(10*time.Minute)) && !f.End.Before(root.Start.Add(-10*time.Minute))
		if caused || (overlaps && f.Severity.Rank() <= forensics.P2.Rank()) {
			out = append(out, f)
		}
	}
	return out
}

func tablesOf(ctx context.Context, q Querier) map[string]bool {
	has := map[string]bool{}
	rows, err := q.QueryContext(ctx, `SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' UNION ALL SELECT view_name FROM duckdb_views() WHERE schema_name = 'main'`)
	if err != nil {
		return has
	}
	defer rows.Close()
	for rows.Next() {
		var t string
		if rows.Scan(&t) == nil {
			has[t] = true
		}
	}
	return has
}

// firstAlert is the first firing alert of the incident: not pending, not
// an always-firing Watchdog or an info alert. It reads the alerts view of
// the Prometheus data when the case has one.
func firstAlert(ctx context.Context, q Querier, has map[string]bool, from, to time.Time) (*time.Time, error) {
	if !has["alerts"] {
		return nil, nil
	}
	var t sql.NullTime
	err := q.QueryRowContext(ctx, `SELECT min(coalesce(firing_from, ts)) FROM (SELECT * FROM alerts) a
		WHERE alertstate = 'firing' AND alertname NOT IN ('Watchdog', 'InfoInhibitor', 'DeadMansSwitch')
		AND lower(coalesce(severity, '')) NOT IN ('info', 'none')
		AND coalesce(firing_from, ts) >= ? AND coalesce(firing_from, ts) <= ?`, from, to).Scan(&t)
	if err != nil {
		// an alerts view of another shape: no alert milestone rather than a failure
		return nil, nil
	}
	if !t.Valid {
		return nil, nil
	}
	v := t.Time.UTC()
	return &v, nil
}

type action struct {
	Event
	mitigates bool
	approx    bool // its time is a lower bound (the session's start)
	planned   bool // a step of planned work that began before the fault (markPlanned)
	user      string
}

// markPlanned marks the commands that continue planned work begun before
// the start: a user who ran commands before the fault (a deploy, a
// migration) and goes on with the next steps of it (not inspecting
// anything) less than 3 minutes after their previous command. Those are
// the incident's trigger, neither a response nor a mitigation; the
// user's first look at the system ends the sequence.
func markPlanned(actions []action, start time.Time) []action {
	last := map[string]time.Time{}
	for i := range actions {
		a := &actions[i]
		if a.Source != "commands" {
			continue
		}
		if a.TS.Before(start) {
			last[a.user] = a.TS
			continue
		}
		if t, ok := last[a.user]; ok && a.TS.Sub(t) <= 3*time.Minute && a.Kind != "look_only" {
			a.planned, a.mitigates = true, false
			last[a.user] = a.TS
			continue
		}
		delete(last, a.user)
	}
	return actions
}

// humanActions lists what responders did: commands from shell history
// (when the case has them) and log lines that only people cause.
func humanActions(ctx context.Context, q Querier, has map[string]bool, from, to time.Time) ([]action, error) {
	var out []action
	if has["commands"] {
		// a command whose time is only its session's start (script(1)
		// without timing) is a lower bound; when the same command is also
		// seen with its own time (shell history), that one stands
		rows, err := q.QueryContext(ctx, `WITH c AS (SELECT *, coalesce(json_extract_string(attrs, '$.ts_basis'), '') = 'session_start' AS approx FROM commands WHERE ts >= ? AND ts <= ?)
			SELECT ts, 'commands:' || id, command, coalesce(action, ''), coalesce("user", ''), approx FROM c
			WHERE NOT (approx AND EXISTS (SELECT 1 FROM c x WHERE NOT x.approx AND x.command = c.command
			                              AND coalesce(x."user", '') = coalesce(c."user", '') AND x.ts >= c.ts AND x.ts <= c.ts + INTERVAL 2 HOUR))
			ORDER BY ts`, from, to)
		if err == nil {
			for rows.Next() {
				var a action
				var kind, user string
				if rows.Scan(&a.TS, &a.Ref, &a.Text, &kind, &user, &a.approx) != nil {
					continue
				}
				a.TS = a.TS.UTC()
				a.Source, a.Kind, a.Count, a.user = "commands", kind, 1, user
				if user != "" {
					a.Text = user + "$ " + a.Text
				} else {
					a.Text = "$ " + a.Text
				}
				a.mitigates = kind != "" && kind != "look_only" && kind != "other" && !endsMitigation(a.Text)
				out = append(out, a)
			}
			rows.Close()
		}
	}
	if has["logs"] {
		rows, err := q.QueryContext(ctx, `SELECT ts, 'logs:' || id, message, regexp_matches(message, ?) FROM logs
			WHERE dup_of IS NULL AND ts >= ? AND ts <= ? AND regexp_matches(message, ?) ORDER BY ts`, mitigationPattern, from, to, humanPattern)
		if err != nil {
			return nil, fmt.Errorf("human actions: %w", err)
		}
		for rows.Next() {
			var a action
			if err := rows.Scan(&a.TS, &a.Ref, &a.Text, &a.mitigates); err != nil {
				rows.Close()
				return nil, err
			}
			a.TS = a.TS.UTC()
			a.Source, a.Kind, a.Count = "logs", "human_action", 1
			if strings.Contains(strings.ToLower(a.Text), "maintenance mode") && (strings.Contains(strings.ToLower(a.Text), "disabled") || strings.Contains(strings.ToLower(a.Text), "off")) {
				a.mitigates = false
			}
			out = append(out, a)
		}
		rows.Close()
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].TS.Before(out[j].TS) })
	return out, nil
}

// endsMitigation reports whether an action undoes a mitigation
// (maintenance mode switched off again): not itself a mitigation.
func endsMitigation(text string) bool {
	t := strings.ToLower(text)
	return strings.Contains(t, "maintenance") && (strings.Contains(t, "disable") || strings.Contains(t, " off") || strings.Contains(t, "deactivat"))
}

// mitigatedAt picks the action that reduced impact: of the mitigating
// actions after the start, the last one at or before the return to
// baseline (earlier ones, such as a cache clear that changed nothing, were
// tried first and did not end the incident); without a resolution, the
// first one.
func mitigatedAt(actions []action, start time.Time, resolved *time.Time) *time.Time {
	// actions with their own time first; one timed only by its session's
	// start does not set the milestone when a better-timed one exists
	var exact []action
	for _, a := range actions {
		if !a.approx {
			exact = append(exact, a)
		}
	}
	if t := mitigatedAmong(exact, start, resolved); t != nil {
		return t
	}
	return mitigatedAmong(actions, start, resolved)
}

func mitigatedAmong(actions []action, start time.Time, resolved *time.Time) *time.Time {
	var first, last *time.Time
	for i := range actions {
		a := actions[i]
		if !a.mitigates || a.TS.Before(start) {
			continue
		}
		t := a.TS
		if first == nil {
			first = &t
		}
		// the effect of the fix can show a little before the action is
		// logged (the last failing requests end as it runs)
		if resolved != nil && !a.TS.After(resolved.Add(20*time.Second)) {
			last = &t
		}
	}
	if last != nil {
		return last
	}
	return first
}

// resolvedAt is when error rate, failed health checks and latency went
// back to baseline and stayed there: the last abnormal record of the last
// abnormal minute after which the rest of the window (at least 10 minutes)
// is normal. held is false when fewer than 10 normal minutes follow.
func resolvedAt(ctx context.Context, q Querier, has map[string]bool, start, end, hi time.Time) (time.Time, bool, error) {
	type minute struct {
		bad  bool
		last time.Time
	}
	mins := map[time.Time]*minute{}
	mark := func(t time.Time) {
		m := t.Truncate(time.Minute)
		if mins[m] == nil {
			mins[m] = &minute{}
		}
		mins[m].bad = true
		if t.After(mins[m].last) {
			mins[m].last = t
		}
	}
	if has["http_requests"] {
		// baseline p95 of the case
		var p95 sql.NullFloat64
		_ = q.QueryRowContext(ctx, `SELECT median(p) FROM (SELECT quantile_cont(response_time_s, 0.95) AS p FROM http_requests
			WHERE dup_of IS NULL GROUP BY `+minuteSQL("ts")+` HAVING count(*) >= 3)`).Scan(&p95)
		slow := math.Inf(1)
		if p95.Valid && p95.Float64 > 0 {
			slow = math.Max(5*p95.Float64, 1)
		}
		rows, err := q.QueryContext(ctx, `
WITH m AS (SELECT `+minuteSQL("ts")+` AS m, count(*) AS n, count(*) FILTER (WHERE status >= 500) AS e,
                  max(ts) FILTER (WHERE status >= 500) AS last_e, quantile_cont(response_time_s, 0.95) AS p95, max(ts) AS last
           FROM http_requests WHERE dup_of IS NULL AND ts >= ? AND ts <= ? GROUP BY 1)
SELECT m, coalesce(last_e, last) FROM m WHERE (e >= 2 AND e >= 0.05 * n) OR p95 >= ?`, start, hi, slow)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("resolved: %w", err)
		}
		for rows.Next() {
			var m int64
			var last time.Time
			if rows.Scan(&m, &last) == nil {
				mark(last.UTC())
			}
		}
		rows.Close()
	}
	if has["logs"] {
		// the last error of the incident: error records of the templates
		// that appeared during the incident (three times or more) and never
		// before it; a stray new error does not delay the resolution
		var last sql.NullTime
		err := q.QueryRowContext(ctx, `
WITH e AS (SELECT ts, coalesce('t' || template_id::VARCHAR, message) AS k FROM logs
           WHERE dup_of IS NULL AND level IN ('ERROR', 'CRITICAL') AND ts IS NOT NULL AND NOT regexp_matches(message, ?)),
before AS (SELECT DISTINCT k FROM e WHERE ts < ?),
incident AS (SELECT k FROM e WHERE ts >= ? AND ts <= ? AND k NOT IN (SELECT k FROM before) GROUP BY k HAVING count(*) >= 3)
SELECT max(ts) FROM e WHERE ts >= ? AND ts <= ? AND k IN (SELECT k FROM incident)`, hardwareStatePattern, start, start, end, start, hi).Scan(&last)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("resolved: %w", err)
		}
		if last.Valid {
			mark(last.Time.UTC())
		}
	}
	var lastBad time.Time
	for _, v := range mins {
		if v.bad && v.last.After(lastBad) {
			lastBad = v.last
		}
	}
	if lastBad.IsZero() {
		lastBad = end
	}
	held := hi.Sub(lastBad) >= 10*time.Minute
	return lastBad, held, nil
}

// runOKPattern matches a model run that completed,
// or a model test that passed: the run someone makes to check a fix.
const runOKPattern = `(?i)(\brun\b.{0,80}\b(completed|finished|succeeded|passed)\b|\btest\b.{0,80}\b(passed|succeeded)\b)`

// runFailWords keeps a run that "finished with an error" out.
const runFailWords = `(?i)(fail|error|exception|abort|oom|out of memory)`

// firstRunOK is the first completed model run within 30 minutes after
// from, in the app logs or the journal: for a fault that made runs fail,
// the return to baseline the evidence shows (the last failure only bounds
// it: runs may be submitted minutes apart, or a restart comes first). With
// model set (one model failed to load while the others kept working),
// only a run of that model counts. Zero when there is none.
func firstRunOK(ctx context.Context, q Querier, has map[string]bool, from time.Time, model string) (*forensics.Evidence, error) {
	to := from.Add(30 * time.Minute)
	var parts []string
	var args []any
	modelCond := func(text string) string {
		if model == "" {
			return ""
		}
		args = append(args, "%"+strings.ToLower(model)+"%")
		return " AND lower(" + text + ") LIKE ?"
	}
	if has["logs"] {
		args = append(args, from, to, runOKPattern, runFailWords)
		parts = append(parts, `SELECT ts, 'logs:' || id, message FROM logs WHERE dup_of IS NULL AND ts > ? AND ts <= ?
  AND coalesce(level, 'INFO') NOT IN ('ERROR', 'CRITICAL', 'WARNING') AND regexp_matches(message, ?) AND NOT regexp_matches(message, ?)`+
			modelCond(`message || coalesce(attrs, '')`))
	}
	if has["journal"] {
		args = append(args, from, to, runOKPattern, runFailWords)
		parts = append(parts, `SELECT ts, 'journal:' || id, message FROM journal WHERE dup_of IS NULL AND ts > ? AND ts <= ?
  AND coalesce(priority, 6) >= 5 AND regexp_matches(message, ?) AND NOT regexp_matches(message, ?)`+modelCond(`message`))
	}
	if len(parts) == 0 {
		return nil, nil
	}
	var e forensics.Evidence
	err := q.QueryRowContext(ctx, `SELECT ts, ref, text FROM (`+strings.Join(parts, " UNION ALL ")+`) x(ts, ref, text) ORDER BY ts, ref LIMIT 1`, args...).Scan(&e.TS, &e.Ref, &e.Text)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("resolved: first completed run: %w", err)
	}
	e.TS = e.TS.UTC()
	return &e, nil
}

// availability is the share of successful health checks (or, without
// them, of non-5xx requests) between start and until, and the users with
// failed requests.
func availability(ctx context.Context, q Querier, has map[string]bool, inc *Incident, start, until time.Time) error {
	if !has["http_requests"] {
		return nil
	}
	const health = `(path LIKE '/health%' OR path LIKE '/healthz%' OR path LIKE '/ready%' OR path LIKE '/live%' OR user_agent ILIKE '%healthcheck%' OR user_agent ILIKE 'kube-probe%')`
	var hc, hok, n, fails, users int64
	err := q.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE `+health+`), count(*) FILTER (WHERE `+health+` AND status < 500),
		count(*) FILTER (WHERE NOT `+health+`), count(*) FILTER (WHERE NOT `+health+` AND status >= 500),
		count(DISTINCT coalesce("user", client)) FILTER (WHERE NOT `+health+` AND status >= 500)
		FROM http_requests WHERE dup_of IS NULL AND ts >= ? AND ts <= ?`, start, until).Scan(&hc, &hok, &n, &fails, &users)
	if err != nil {
		return fmt.Errorf("availability: %w", err)
	}
	inc.Requests, inc.FailedRequests, inc.UsersImpacted = n, fails, users
	var pct float64
	switch {
	case hc > 0:
		pct = 100 * float64(hok) / float64(hc)
	case n > 0:
		pct = 100 * float64(n-fails) / float64(n)
	default:
		return nil
	}
	pct = math.Round(pct*10) / 10
	inc.AvailabilityPct = &pct
	return nil
}

// minuteSQL is the start of the minute of the TIMESTAMPTZ expression col,
// in microseconds since the epoch: the minutes of date_trunc('minute', col)
// (in any zone whose offset is whole minutes) without the time-zone
// machinery that makes date_trunc on TIMESTAMPTZ cost about 0.35 CPU-s per
// million rows.
func minuteSQL(col string) string {
	us := "epoch_us(" + col + ")"
	return "(" + us + " - (" + us + " % 60000000 + 60000000) % 60000000)"
}

func appendUnique(xs []string, x string) []string {
	for _, y := range xs {
		if y == x {
			return xs
		}
	}
	return append(xs, x)
}
