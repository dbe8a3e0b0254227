package ingest

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

// The outputs of df (one row per mounted filesystem) and free (memory and
// swap), with sizes in any of their units: -h (powers of 1024, K M G T),
// -H / --si (powers of 1000), 1K-blocks and the like, free's default KiB
// or -b/-m/-g.

var (
	dfHeader   = regexp.MustCompile(`^Filesystem\s+(Type\s+)?(Size|[0-9]*[KkMG]?-blocks|Inodes)\s+(Used|IUsed)\s+(Avail|Available|IFree)\s+(Use%|Capacity|IUse%)\s+Mounted on\s*$`)
	freeHeader = regexp.MustCompile(`^\s+total\s+used\s+free(\s+shared)?(\s+buff/cache|\s+buffers\s+cache|\s+buffers\s+cached)?(\s+available)?\s*$`)
	freeRow    = regexp.MustCompile(`^(Mem|Swap|Low|High|Total|-/\+ buffers/cache):\s*(.*)$`)
	capSizeRe  = regexp.MustCompile(`^([0-9]+(?:[.,][0-9]+)?)\s*([KkMGTPE]?)(i?)(B?)$`)
)

// parseSize reads a size as df, free and docker print it: "1.8T", "916G",
// "61.2GiB", "845MB", "0B", "12.3kB", or a bare number in units of unit
// bytes. A bare K/M/G suffix is a power of 1024 unless si.
func capSize(s string, unit int64, si bool) (int64, bool) {
	s = strings.TrimSpace(s)
	m := capSizeRe.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.Replace(m[1], ",", ".", 1), 64)
	if err != nil {
		return 0, false
	}
	letter, bin, b := m[2], m[3] == "i", m[4] == "B"
	if letter == "" {
		if b {
			return int64(v), true // "0B"
		}
		return int64(math.Round(v * float64(unit))), true
	}
	exp := strings.Index("KMGTPE", strings.ToUpper(letter)) + 1
	base := 1024.0
	if !bin && (b || si) {
		base = 1000 // kB, MB, GB as docker prints them; df -H
	}
	return int64(math.Round(v * math.Pow(base, float64(exp)))), true
}

func capPct(s string) (float64, bool) {
	return unitNum(s, "%")
}

// dfParser buffers one df output.
type dfParser struct {
	b      *capBlock
	header string
	cols   []string
	unit   int64
	si     bool
	inodes bool
	typed  bool
	wrap   int // index of a wrapped device-name line waiting for its numbers
}

func newDF(sp *splitter, env capEnv) *dfParser {
	return &dfParser{b: newCapBlock(sp, env, "df"), wrap: -1}
}

func (p *dfParser) take(l *Line) bool {
	t := l.Text
	if p.b.full() {
		return false
	}
	if p.header == "" {
		m := dfHeader.FindSubmatch(t)
		p.header = string(t)
		p.typed = len(m[1]) > 0
		switch u := string(m[2]); {
		case u == "Size":
			p.unit = 1
			p.si = cmdHasWord(p.b.env.command, "-H", "--si")
		case u == "Inodes":
			p.inodes, p.unit = true, 1
		default:
			n := strings.TrimSuffix(u, "-blocks")
			p.unit = 1024
			if v, ok := capSize(n, 1, false); ok && v > 0 {
				p.unit = v
			} else if n == "" {
				p.unit = 1024
			}
		}
		i := p.b.keep(l)
		p.b.own(i, -2)
		return true
	}
	if isBlank(t) {
		p.b.keep(l)
		return true
	}
	f := strings.Fields(string(t))
	want := 6
	if p.typed {
		want = 7
	}
	if dfHeader.Match(t) || (len(f) < want-1 && p.wrap < 0 && len(f) != 1) {
		return false
	}
	i := p.b.keep(l)
	if len(f) == 1 && p.wrap < 0 {
		p.wrap = i // a long device name on its own line
		return true
	}
	if p.wrap >= 0 {
		f = append(strings.Fields(string(p.b.lines[p.wrap].Text)), f...)
	}
	if len(f) < want {
		p.b.reject(i, capShort("df", len(f), want))
		if p.wrap >= 0 {
			p.b.reject(p.wrap, "df device name without its numbers")
			p.wrap = -1
		}
		return true
	}
	c := p.b.row()
	c.Kind = "filesystem"
	k := 1
	c.Name = f[0]
	if p.typed {
		c.Attrs = map[string]any{"fstype": f[1]}
		k = 2
	}
	c.Subject = strings.Join(f[k+4:], " ")
	size, ok1 := capSize(f[k], p.unit, p.si)
	used, ok2 := capSize(f[k+1], p.unit, p.si)
	avail, ok3 := capSize(f[k+2], p.unit, p.si)
	use, ok4 := capPct(f[k+3])
	if !ok1 || !ok2 || !ok3 {
		if f[k] == "-" { // pseudo filesystems in df -a
			ok1, ok2, ok3 = true, true, true
			size, used, avail = -1, -1, -1
		} else {
			p.b.rows = p.b.rows[:len(p.b.rows)-1]
			p.b.reject(i, "df row with sizes not understood")
			if p.wrap >= 0 {
				p.b.reject(p.wrap, "df device name without its numbers")
				p.wrap = -1
			}
			return true
		}
	}
	if p.inodes {
		c.Kind = "filesystem_inodes"
		c.Attrs = withAttr(c.Attrs, "inodes", size)
		c.Attrs["inodes_used"] = used
		c.Attrs["inodes_free"] = avail
	} else {
		c.Total, c.Used, c.Avail = size, used, avail
		if size >= 0 && used >= 0 {
			c.Free = size - used
		}
	}
	if ok4 {
		c.UsePct = use
	}
	if p.si {
		c.Attrs = withAttr(c.Attrs, "units", "si")
	}
	row := len(p.b.rows) - 1
	p.b.own(i, row)
	if p.wrap >= 0 {
		p.b.own(p.wrap, row)
		p.wrap = -1
	}
	return true
}

func (p *dfParser) done() error {
	if p.wrap >= 0 {
		p.b.reject(p.wrap, "df device name without its numbers (cut off)")
	}
	return p.b.emit("df header without any filesystem row")
}

// hasWord reports whether a command line holds one of the options.
func cmdHasWord(cmd string, opts ...string) bool {
	for _, w := range strings.Fields(cmd) {
		for _, o := range opts {
			if w == o {
				return true
			}
			// combined short options: -hT, -mw
			if len(o) == 2 && o[0] == '-' && len(w) > 2 && w[0] == '-' && w[1] != '-' && strings.IndexByte(w[1:], o[1]) >= 0 {
				return true
			}
		}
	}
	return false
}

// freeParser buffers one free output.
type freeParser struct {
	b    *capBlock
	cols []string
	unit int64
	si   bool
	mem  int // row index of Mem:
}

func newFree(sp *splitter, env capEnv) *freeParser {
	return &freeParser{b: newCapBlock(sp, env, "free"), mem: -1}
}

func (p *freeParser) take(l *Line) bool {
	t := l.Text
	if p.b.full() {
		return false
	}
	if p.cols == nil {
		p.cols = strings.Fields(string(t))
		cmd := p.b.env.command
		p.si = cmdHasWord(cmd, "--si")
		switch {
		case cmdHasWord(cmd, "-b", "--bytes"):
			p.unit = 1
		case cmdHasWord(cmd, "-m", "--mebi"):
			p.unit = 1 << 20
		case cmdHasWord(cmd, "-g", "--gibi"):
			p.unit = 1 << 30
		case cmdHasWord(cmd, "--mega"):
			p.unit = 1000000
		case cmdHasWord(cmd, "--giga"):
			p.unit = 1000000000
		default:
			p.unit = 1024 // free's default: KiB
		}
		p.b.keep(l)
		return true
	}
	if isBlank(t) {
		p.b.keep(l)
		return true
	}
	m := freeRow.FindSubmatch(t)
	if m == nil {
		return false
	}
	i := p.b.keep(l)
	vals := strings.Fields(string(m[2]))
	get := func(col string) (int64, bool) {
		for k, c := range p.cols {
			if c == col && k < len(vals) {
				return capSize(vals[k], p.unit, p.si)
			}
		}
		return 0, false
	}
	name := string(m[1])
	switch name {
	case "Mem", "Swap":
		want := len(p.cols)
		if name == "Swap" {
			want = 3
		}
		if len(vals) < want {
			p.b.reject(i, capShort("free "+name, len(vals), want))
			return true
		}
		c := p.b.row()
		c.Subject = name
		c.Kind = strings.ToLower(name)
		if name == "Mem" {
			c.Kind = "memory"
			p.mem = len(p.b.rows) - 1
		}
		if v, ok := get("total"); ok {
			c.Total = v
		}
		if v, ok := get("used"); ok {
			c.Used = v
		}
		if v, ok := get("free"); ok {
			c.Free = v
		}
		if v, ok := get("available"); ok {
			c.Avail = v
		}
		for _, extra := range []string{"shared", "buff/cache", "buffers", "cache", "cached"} {
			if v, ok := get(extra); ok {
				c.Attrs = withAttr(c.Attrs, strings.ReplaceAll(extra, "/", "_")+"_bytes", v)
			}
		}
		if c.Total > 0 && c.Used >= 0 {
			c.UsePct = math.Round(float64(c.Used)/float64(c.Total)*10000) / 100
		}
		p.b.own(i, len(p.b.rows)-1)
	default:
		// "-/+ buffers/cache:" (old procps: used and free without the
		// cache, the memory available then), Low:, High:, Total:
		if p.mem >= 0 && name == "-/+ buffers/cache" && len(vals) >= 2 {
			c := p.b.rows[p.mem]
			if v, ok := capSize(vals[1], p.unit, p.si); ok && c.Avail < 0 {
				c.Avail = v
			}
		}
		if p.mem >= 0 {
			p.b.rows[p.mem].Attrs = withAttr(p.b.rows[p.mem].Attrs, strings.ToLower(strings.Trim(name, "-/+ ")), strings.Join(vals, " "))
			p.b.own(i, p.mem)
		}
	}
	return true
}

func (p *freeParser) done() error {
	return p.b.emit("free header without a Mem or Swap row")
}
