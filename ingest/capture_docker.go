package ingest

import (
	"regexp"
	"strconv"
	"strings"
)

// The outputs of docker-compose ps (v1's centred table with a dashed
// rule, v2's aligned columns, old and new), docker ps, and docker stats
// --no-stream: one row per container, with its state or its usage.

var (
	composePSv1 = regexp.MustCompile(`^\s*Name\s+Command\s+State\s+Ports\s*$`)
	composePSv2 = regexp.MustCompile(`^NAME\s+(IMAGE\s+)?COMMAND\s+SERVICE\s+(CREATED\s+)?STATUS\s+PORTS\s*$`)
	dockerPS    = regexp.MustCompile(`^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\s*$`)
	dockerStats = regexp.MustCompile(`^(CONTAINER ID|CONTAINER)\s+(NAME\s+)?CPU %\s+MEM USAGE / LIMIT\s+MEM %\s+NET I/O\s+BLOCK I/O\s+PIDS\s*$`)
	composeRule = regexp.MustCompile(`^-{10,}\s*$`)
	ctrExitCode = regexp.MustCompile(`(?i)^exit(?:ed)?\s*\(?(-?\d+)\)?`)
)

// containerState normalises a container status as docker and compose
// print it ("Up 3 minutes (healthy)", "Exited (137) 2 minutes ago",
// "Exit 1", "running", "restarting") to a state, with the exit code and
// health when given.
func containerState(status string) (state string, code int, health string) {
	s := strings.TrimSpace(status)
	l := strings.ToLower(s)
	code = -1
	switch {
	case strings.Contains(l, "(paused)") || strings.HasPrefix(l, "paused"):
		state = "paused"
	case strings.HasPrefix(l, "up") || strings.HasPrefix(l, "running"):
		state = "running"
	case strings.HasPrefix(l, "exit"):
		state = "exited"
		if m := ctrExitCode.FindStringSubmatch(s); m != nil {
			code, _ = strconv.Atoi(m[1])
		}
	case strings.HasPrefix(l, "restarting"):
		state = "restarting"
		if i := strings.Index(s, "("); i >= 0 {
			if j := strings.Index(s[i:], ")"); j > 0 {
				code, _ = strconv.Atoi(s[i+1 : i+j])
			}
		}
	case strings.HasPrefix(l, "created"):
		state = "created"
	case strings.HasPrefix(l, "dead"):
		state = "dead"
	case strings.HasPrefix(l, "removal") || strings.HasPrefix(l, "removing"):
		state = "removing"
	default:
		state = l
	}
	switch {
	case strings.Contains(l, "(healthy)"):
		health = "healthy"
	case strings.Contains(l, "(unhealthy)"):
		health = "unhealthy"
	case strings.Contains(l, "health: starting"):
		health = "starting"
	}
	return state, code, health
}

// psParser buffers one docker-compose ps or docker ps output.
type psParser struct {
	b       *capBlock
	layout  string // v1, v2, docker
	labels  []string
	pos     []int
	lastRow int // row of the previous line (v1 wraps long port lists)
}

func newPS(sp *splitter, env capEnv) *psParser {
	return &psParser{b: newCapBlock(sp, env, "docker-compose-ps"), lastRow: -1}
}

func (p *psParser) take(l *Line) bool {
	t := strings.TrimRight(string(l.Text), " ")
	if p.b.full() {
		return false
	}
	if p.labels == nil {
		switch {
		case composePSv1.MatchString(t):
			p.layout = "v1"
		case composePSv2.MatchString(t):
			p.layout = "v2"
		default:
			p.layout = "docker"
			p.b.tool = "docker-ps"
		}
		p.labels = capCells(t)
		p.pos = capColumns(t, p.labels)
		p.b.keep(l)
		return true
	}
	if isBlank(l.Text) {
		p.b.keep(l)
		return true
	}
	if composePSv1.MatchString(t) || composePSv2.MatchString(t) || dockerPS.MatchString(t) || dockerStats.MatchString(t) {
		return false
	}
	if p.layout == "v1" && composeRule.MatchString(t) {
		p.b.keep(l)
		return true
	}
	cs := capCells(t)
	if p.layout == "v1" && p.lastRow >= 0 && len(cs) == 1 && (t[0] == ' ' || t[0] == '\t') {
		// a wrapped port list
		i := p.b.keep(l)
		c := p.b.rows[p.lastRow]
		c.Attrs["ports"] = strings.TrimSpace(c.Attrs["ports"].(string) + " " + cs[0])
		p.b.own(i, p.lastRow)
		return true
	}
	if p.layout != "v1" {
		cs = capRowCells(t, p.pos)
	}
	if len(cs) < 2 {
		return false
	}
	i := p.b.keep(l)
	get := func(label string) string {
		for k, lab := range p.labels {
			if lab == label && k < len(cs) {
				return cs[k]
			}
		}
		return ""
	}
	c := p.b.row()
	c.Kind = "container"
	c.Attrs = map[string]any{}
	var status string
	switch p.layout {
	case "v1":
		if len(cs) < 3 {
			p.b.rows = p.b.rows[:len(p.b.rows)-1]
			p.b.reject(i, capShort("docker-compose ps", len(cs), 4))
			return true
		}
		c.Subject = cs[0]
		c.Attrs["command"] = cs[1]
		status = cs[2]
		ports := ""
		if len(cs) > 3 {
			ports = strings.Join(cs[3:], " ")
		}
		c.Attrs["ports"] = ports
		if parts := strings.Split(c.Subject, "_"); len(parts) >= 3 {
			c.Name = strings.Join(parts[1:len(parts)-1], "_")
			c.Attrs["service"] = c.Name
		}
	default:
		c.Subject = get("NAME")
		if p.layout == "docker" {
			c.Subject = get("NAMES")
			c.Attrs["container_id"] = get("CONTAINER ID")
		}
		if v := get("IMAGE"); v != "" {
			c.Attrs["image"] = v
		}
		c.Attrs["command"] = strings.Trim(get("COMMAND"), `"`)
		if v := get("SERVICE"); v != "" {
			c.Attrs["service"] = v
			c.Name = v
		} else if v := get("IMAGE"); v != "" {
			c.Name = v
		}
		if v := get("CREATED"); v != "" {
			c.Attrs["created"] = v
		}
		status = get("STATUS")
		c.Attrs["ports"] = get("PORTS")
	}
	if c.Subject == "" || status == "" {
		p.b.rows = p.b.rows[:len(p.b.rows)-1]
		p.b.reject(i, "container line without a name or status (cut off?)")
		return true
	}
	state, code, health := containerState(status)
	c.State = state
	c.Attrs["status"] = status
	if code >= 0 {
		c.Attrs["exit_code"] = code
	}
	if health != "" {
		c.Attrs["health"] = health
	}
	p.lastRow = len(p.b.rows) - 1
	p.b.own(i, p.lastRow)
	return true
}

func (p *psParser) done() error {
	if len(p.b.rows) == 0 {
		// a header alone: nothing was running, which is evidence too
		c := p.b.row()
		c.Kind, c.State = "container", "none"
	}
	return p.b.emit("")
}

// statsParser buffers one docker stats output.
type statsParser struct {
	b      *capBlock
	labels []string
	pos    []int
}

func newStats(sp *splitter, env capEnv) *statsParser {
	return &statsParser{b: newCapBlock(sp, env, "docker-stats")}
}

// ioPair reads "1.2GB / 845MB".
func ioPair(s string) (int64, int64, bool) {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, false
	}
	x, ok1 := capSize(a, 1, true)
	y, ok2 := capSize(b, 1, true)
	return x, y, ok1 && ok2
}

func (p *statsParser) take(l *Line) bool {
	t := strings.TrimRight(string(l.Text), " ")
	if p.b.full() {
		return false
	}
	if p.labels == nil {
		p.labels = capCells(t)
		p.pos = capColumns(t, p.labels)
		p.b.keep(l)
		return true
	}
	if isBlank(l.Text) {
		p.b.keep(l)
		return true
	}
	if dockerStats.MatchString(t) || composePSv1.MatchString(t) || composePSv2.MatchString(t) || dockerPS.MatchString(t) {
		return false
	}
	cs := capRowCells(t, p.pos)
	if len(capCells(t)) < 3 {
		return false
	}
	i := p.b.keep(l)
	get := func(label string) string {
		for k, lab := range p.labels {
			if lab == label && k < len(cs) {
				return cs[k]
			}
		}
		return ""
	}
	if len(cs) < len(p.labels) || get("PIDS") == "" {
		p.b.reject(i, capShort("docker stats", len(capCells(t)), len(p.labels)))
		return true
	}
	c := p.b.row()
	c.Kind = "container_stats"
	c.Attrs = map[string]any{}
	c.Subject = get("NAME")
	if id := get("CONTAINER ID"); id != "" {
		c.Attrs["container_id"] = id
	}
	if c.Subject == "" {
		c.Subject = get("CONTAINER")
	}
	bad := false
	if v, ok := capPct(get("CPU %")); ok {
		c.UtilPct = v
	} else if get("CPU %") != "--" {
		bad = true
	}
	if v, ok := capPct(get("MEM %")); ok {
		c.UsePct = v
	}
	if u, lim, ok := ioPair(get("MEM USAGE / LIMIT")); ok {
		// docker prints memory in binary units (MiB, GiB)
		c.Used, c.Total = u, lim
	} else if get("MEM USAGE / LIMIT") != "-- / --" {
		bad = true
	}
	if rx, tx, ok := ioPair(get("NET I/O")); ok {
		c.Attrs["net_rx_bytes"], c.Attrs["net_tx_bytes"] = rx, tx
	}
	if r, w, ok := ioPair(get("BLOCK I/O")); ok {
		c.Attrs["block_read_bytes"], c.Attrs["block_write_bytes"] = r, w
	}
	if n, err := strconv.Atoi(get("PIDS")); err == nil {
		c.Attrs["pids"] = n
	}
	if bad {
		p.b.rows = p.b.rows[:len(p.b.rows)-1]
		p.b.reject(i, "docker stats row with values not understood")
		return true
	}
	p.b.own(i, len(p.b.rows)-1)
	return true
}

func (p *statsParser) done() error {
	return p.b.emit("docker stats header without any container row")
}
