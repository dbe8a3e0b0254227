package ingest

import (
	"bytes"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vidbench/forensics"
)

// The outputs of nvidia-smi: its default table (per GPU memory, GPU-Util,
// temperature and power, and the Processes table) and the CSV of
// --query-gpu=... --format=csv (one-shot or looped with -l, each row with
// its own time). The errors nvidia-smi prints instead of (or above) its
// table are rows of their own, so that a GPU that fell off the bus is
// evidence and not a reject:
//
//	Unable to determine the device handle for GPU0000:3B:00.0: Unknown Error    kind gpu, subject and attrs.bus_id the bus id, state lost
//	No devices were found                                                       kind gpu, state none
//	NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. ...   kind gpu, state unreachable
//	Failed to initialize NVML: Driver/library version mismatch                   kind gpu, state unreachable
//
// attrs.error holds the line as printed, attrs.status the state.

const mibBytes = 1 << 20

// nvidiaTableStart reports whether a line starts an nvidia-smi table: its
// top border, the banner line when the border is missing, or an error
// nvidia-smi prints in its place or above it.
func nvidiaTableStart(t []byte) bool {
	t = bytes.TrimRight(t, " ")
	if bytes.HasPrefix(t, []byte("| NVIDIA-SMI ")) {
		return true
	}
	if _, ok := parseSmiError(t); ok {
		return true
	}
	return len(t) > 40 && t[0] == '+' && t[len(t)-1] == '+' && len(bytes.Trim(t, "+-")) == 0
}

// smiError is an error line of nvidia-smi.
type smiError struct {
	state string // lost, none, unreachable
	busID string // the PCI bus id of a lost GPU, as printed
	text  string
}

var (
	smiLostGPU = regexp.MustCompile(`^Unable to determine the device handle for (?:GPU|gpu)\s*([0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-9A-Fa-f]):\s*\S`)
	smiNVMLVer = regexp.MustCompile(`^NVML library version: \S+$`)
)

// parseSmiError recognises the errors nvidia-smi prints when it cannot
// show a GPU, or any.
func parseSmiError(t []byte) (smiError, bool) {
	t = bytes.TrimSpace(t)
	switch {
	case bytes.HasPrefix(t, []byte("Unable to determine the device handle for ")):
		if m := smiLostGPU.FindSubmatch(t); m != nil {
			return smiError{state: "lost", busID: string(m[1]), text: str(t)}, true
		}
	case bytes.Equal(t, []byte("No devices were found")):
		return smiError{state: "none", text: str(t)}, true
	case bytes.HasPrefix(t, []byte("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver")),
		bytes.HasPrefix(t, []byte("Failed to initialize NVML: ")):
		return smiError{state: "unreachable", text: str(t)}, true
	}
	return smiError{}, false
}

// pciKey turns a PCI bus id ("00000000:3B:00.0", "0000:3b:00.0") into a
// number that orders bus ids as the bus does.
func pciKey(id string) (uint64, bool) {
	var dom, bus, dev, fn uint64
	id = strings.ToLower(strings.TrimSpace(id))
	i := strings.IndexByte(id, ':')
	j := strings.LastIndexByte(id, ':')
	k := strings.LastIndexByte(id, '.')
	if i <= 0 || j <= i || k <= j {
		return 0, false
	}
	var err error
	for _, p := range []struct {
		s string
		v *uint64
	}{{id[:i], &dom}, {id[i+1 : j], &bus}, {id[j+1 : k], &dev}, {id[k+1:], &fn}} {
		if *p.v, err = strconv.ParseUint(p.s, 16, 32); err != nil {
			return 0, false
		}
	}
	return dom<<24 | bus<<16 | dev<<8 | fn, true
}

// inferLostIndex gives a lost GPU the index nvidia-smi would have shown
// for it, when the table of the same run lists the other GPUs: nvidia-smi
// numbers GPUs in PCI bus order, so when every listed GPU's index is its
// rank among all the bus ids (listed and lost), a lost GPU's rank is its
// index (attrs.gpu_from = "bus_order").
func inferLostIndex(rows []*forensics.Capture) {
	type gpuBus struct {
		key uint64
		c   *forensics.Capture
	}
	var all []gpuBus
	lost := 0
	for _, c := range rows {
		if c.Kind != "gpu" {
			continue
		}
		id, _ := c.Attrs["bus_id"].(string)
		k, ok := pciKey(id)
		if !ok {
			if c.State == "" {
				return // a listed GPU without a bus id: no order to rely on
			}
			continue
		}
		if c.State == "lost" {
			lost++
		}
		all = append(all, gpuBus{k, c})
	}
	if lost == 0 || lost == len(all) {
		return
	}
	sort.Slice(all, func(i, j int) bool { return all[i].key < all[j].key })
	for i, g := range all {
		if g.c.State == "" && g.c.GPU != i {
			return
		}
	}
	for i, g := range all {
		if g.c.State == "lost" {
			g.c.GPU = i
			g.c.Attrs["gpu_from"] = "bus_order"
		}
	}
}

// nvidiaTable buffers one nvidia-smi table, and the error lines above it.
type nvidiaTable struct {
	b      *capBlock
	banner bool // the NVIDIA-SMI line was seen
	body   bool // a line of the table itself (border or cells) was seen
	closed bool // the processes section's bottom border was seen
	inProc bool
	nvml   bool // the last line was an NVML error (its library version may follow)
}

func newNvidiaTable(sp *splitter, env capEnv) *nvidiaTable {
	return &nvidiaTable{b: newCapBlock(sp, env, "nvidia-smi")}
}

func (p *nvidiaTable) take(l *Line) bool {
	t := bytes.TrimRight(l.Text, " ")
	if p.b.full() {
		return false
	}
	if len(t) == 0 {
		p.b.keep(l)
		return true
	}
	if !p.body {
		// errors come before the table, or instead of it
		if _, ok := parseSmiError(t); ok {
			p.b.keep(l)
			p.nvml = bytes.HasPrefix(bytes.TrimSpace(t), []byte("Failed to initialize NVML"))
			return true
		}
		if p.nvml && smiNVMLVer.Match(t) {
			p.b.keep(l) // folded into the NVML error's row
			p.nvml = false
			return true
		}
	}
	p.nvml = false
	if p.closed || (t[0] != '|' && t[0] != '+') {
		return false
	}
	p.body = true
	if p.banner && len(p.b.lines) > p.b.prefix+2 && bytes.HasPrefix(t, []byte("| NVIDIA-SMI ")) {
		return false // the next table (no border between them)
	}
	if bytes.HasPrefix(t, []byte("| NVIDIA-SMI ")) {
		p.banner = true
	}
	if bytes.Contains(t, []byte("Processes:")) {
		p.inProc = true
	}
	p.b.keep(l)
	// a blank-free border after the processes rows ends the table
	if p.inProc && t[0] == '+' && len(p.b.lines) > 2 {
		prev := bytes.TrimRight(p.b.lines[len(p.b.lines)-2].Text, " ")
		if len(prev) > 0 && prev[0] == '|' && !bytes.Contains(prev, []byte("Processes:")) && !bytes.HasPrefix(prev, []byte("|=")) {
			p.closed = true
		}
	}
	return true
}

var (
	smiVersions = regexp.MustCompile(`NVIDIA-SMI\s+(\S+)(?:.*Driver Version:\s*(\S+))?(?:.*CUDA Version:\s*(\S+))?`)
	smiMemory   = regexp.MustCompile(`(\d+)\s*MiB\s*/\s*(\d+)\s*MiB`)
	smiProcNew  = regexp.MustCompile(`^\s*(\d+)\s+(\S+)\s+(\S+)\s+(\d+)\s+(\S+)\s+(.+?)\s+(\d+MiB|N/A)\s*$`)
	smiProcOld  = regexp.MustCompile(`^\s*(\d+)\s+(\d+)\s+(C\+G|C|G|M\+C|M)\s+(.+?)\s+(\d+MiB|N/A)\s*$`)
)

// tableCells splits "| a | b | c |" into its cells.
func tableCells(t []byte) []string {
	s := strings.TrimSpace(string(t))
	s = strings.TrimPrefix(s, "|")
	s = strings.TrimSuffix(s, "|")
	parts := strings.Split(s, "|")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

func unitNum(s string, suffix string) (float64, bool) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), suffix))
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

func (p *nvidiaTable) done() error {
	b := p.b
	var versions map[string]any
	var ownTS time.Time
	// nvidia-smi's own time is the ctime line just above its border
	if b.prefix > 0 {
		lastWord := b.lines[b.prefix-1]
		if t, ok := parseDateLine(lastWord.Text, b.sp.in.TZ); ok && !bytes.Contains(lastWord.Text, []byte("Every ")) {
			ownTS = t
		}
	}
	var gpu *forensics.Capture
	gpuRow := -1
	var gpuLine1 int = -1 // index of a GPU's first line still waiting for its memory line
	procs := map[int]int{}
	section := "head"
	lastErr := -1 // the last error line above the table
	for i := b.prefix; i < len(b.lines); i++ {
		t := bytes.TrimRight(b.lines[i].Text, " ")
		if section == "head" {
			if e, ok := parseSmiError(t); ok {
				c := b.row()
				c.Kind, c.State = "gpu", e.state
				c.Subject = e.busID
				c.Attrs = map[string]any{"status": e.state, "error": e.text}
				if e.busID != "" {
					c.Attrs["bus_id"] = e.busID
				}
				if !ownTS.IsZero() {
					c.TS, c.TSSource = ownTS, "output"
				}
				b.own(i, len(b.rows)-1)
				lastErr = i
				continue
			}
		}
		switch {
		case len(t) == 0:
			continue
		case bytes.HasPrefix(t, []byte("| NVIDIA-SMI ")):
			if m := smiVersions.FindStringSubmatch(string(t)); m != nil {
				versions = map[string]any{"nvidia_smi_version": m[1]}
				if m[2] != "" {
					versions["driver_version"] = m[2]
				}
				if m[3] != "" {
					versions["cuda_version"] = m[3]
				}
			}
			continue
		case bytes.HasPrefix(t, []byte("|=")) || bytes.HasPrefix(t, []byte("|==")):
			if section == "head" {
				section = "gpus"
			} else if section == "prochead" {
				section = "procs"
			}
			continue
		case t[0] == '+':
			if gpuLine1 >= 0 {
				b.reject(gpuLine1, "nvidia-smi table cut off: GPU line without its memory line")
				gpuLine1 = -1
			}
			continue
		case bytes.Contains(t, []byte("Processes:")):
			if gpuLine1 >= 0 {
				b.reject(gpuLine1, "nvidia-smi table cut off: GPU line without its memory line")
				gpuLine1 = -1
			}
			section = "prochead"
			continue
		case bytes.Contains(t, []byte("MIG devices:")):
			section = "mig"
			continue
		}
		cs := tableCells(t)
		switch section {
		case "gpus":
			if len(cs) >= 2 && smiMemory.MatchString(cs[1]) {
				if gpuLine1 < 0 {
					b.reject(i, "nvidia-smi memory line without its GPU line (table cut off above it)")
					continue
				}
				m := smiMemory.FindStringSubmatch(cs[1])
				used, _ := strconv.ParseInt(m[1], 10, 64)
				total, _ := strconv.ParseInt(m[2], 10, 64)
				gpu.Used, gpu.Total, gpu.Free = used*mibBytes, total*mibBytes, (total-used)*mibBytes
				f := strings.Fields(cs[0])
				if len(f) >= 1 && f[0] != "N/A" {
					if v, ok := unitNum(f[0], "%"); ok {
						gpu.Attrs["fan_pct"] = v
					}
				}
				if len(f) >= 2 {
					if v, ok := unitNum(f[1], "C"); ok {
						gpu.TempC = v
					}
				}
				if len(f) >= 3 && strings.HasPrefix(f[2], "P") {
					gpu.Attrs["perf"] = f[2]
				}
				if k := strings.LastIndex(cs[0], "/"); k > 0 {
					pw := strings.Fields(cs[0][:k])
					if len(pw) > 0 {
						if v, ok := unitNum(pw[len(pw)-1], "W"); ok {
							gpu.PowerW = v
						}
					}
					if v, ok := unitNum(strings.TrimSpace(cs[0][k+1:]), "W"); ok {
						gpu.Attrs["power_cap_w"] = v
					}
				}
				if len(cs) >= 3 {
					f := strings.Fields(cs[2])
					if len(f) >= 1 {
						if v, ok := unitNum(f[0], "%"); ok {
							gpu.UtilPct = v
						}
					}
					if len(f) >= 2 {
						gpu.Attrs["compute_mode"] = strings.Join(f[1:], " ")
					}
				}
				b.own(gpuLine1, gpuRow)
				b.own(i, gpuRow)
				gpuLine1 = -1
				continue
			}
			f := strings.Fields(cs[0])
			if len(cs) >= 2 && len(f) >= 2 && allDigits(f[0]) {
				if gpuLine1 >= 0 {
					b.reject(gpuLine1, "nvidia-smi table cut off: GPU line without its memory line")
				}
				idx, _ := strconv.Atoi(f[0])
				gpu = b.row()
				gpuRow = len(b.rows) - 1
				gpu.Kind, gpu.GPU, gpu.Subject = "gpu", idx, f[0]
				gpu.Attrs = map[string]any{}
				for k, v := range versions {
					gpu.Attrs[k] = v
				}
				name := f[1:]
				if n := len(name); n > 1 && (name[n-1] == "On" || name[n-1] == "Off") {
					gpu.Attrs["persistence_mode"] = name[n-1]
					name = name[:n-1]
				}
				gpu.Name = strings.Join(name, " ")
				bf := strings.Fields(cs[1])
				if len(bf) > 0 {
					gpu.Attrs["bus_id"] = bf[0]
				}
				if len(cs) >= 3 && cs[2] != "" {
					gpu.Attrs["ecc_uncorrected"] = cs[2]
				}
				if !ownTS.IsZero() {
					gpu.TS, gpu.TSSource = ownTS, "output"
				}
				gpuLine1 = i
				continue
			}
			if gpuRow >= 0 && gpuLine1 < 0 {
				b.own(i, gpuRow) // the MIG M. line and the like
				continue
			}
			b.reject(i, "nvidia-smi GPU table line not understood")
		case "procs":
			inner := strings.TrimSpace(strings.Trim(strings.TrimSpace(string(t)), "|"))
			if strings.Contains(inner, "No running processes found") {
				continue
			}
			var gi, pid, typ, name, mem string
			if m := smiProcNew.FindStringSubmatch(inner); m != nil {
				gi, pid, typ, name, mem = m[1], m[4], m[5], m[6], m[7]
			} else if m := smiProcOld.FindStringSubmatch(inner); m != nil {
				gi, pid, typ, name, mem = m[1], m[2], m[3], m[4], m[5]
			} else {
				b.reject(i, "nvidia-smi process line cut off or not understood")
				continue
			}
			c := b.row()
			idx, _ := strconv.Atoi(gi)
			c.Kind, c.GPU, c.Subject, c.Name = "gpu_process", idx, pid, name
			c.PID, _ = strconv.ParseInt(pid, 10, 64)
			c.Attrs = map[string]any{"type": typ}
			if v, ok := unitNum(mem, "MiB"); ok {
				c.Used = int64(v) * mibBytes
			}
			if !ownTS.IsZero() {
				c.TS, c.TSSource = ownTS, "output"
			}
			procs[idx]++
			b.own(i, len(b.rows)-1)
		case "prochead", "mig", "head":
			// header and MIG lines: folded into the row above (or the first)
		}
	}
	if gpuLine1 >= 0 {
		b.reject(gpuLine1, "nvidia-smi table cut off: GPU line without its memory line")
	}
	if lastErr >= 0 {
		// the table's header lines belong to its first GPU, not to the
		// error above it
		for i := lastErr + 1; i < len(b.lines); i++ {
			if o := b.owner[i]; o >= 0 {
				for j := lastErr + 1; j < i; j++ {
					if b.owner[j] == -2 {
						b.own(j, o)
					}
				}
				break
			}
		}
	}
	inferLostIndex(b.rows)
	for _, c := range b.rows {
		if c.Kind == "gpu" && c.State == "" {
			c.Attrs["processes"] = procs[c.GPU]
		}
	}
	return b.emit("nvidia-smi table cut off before any complete GPU row")
}

// nvidia-smi --query-gpu CSV

var (
	smiField   = regexp.MustCompile(`^([a-z_][a-z0-9_.]*)( \[([^\]]+)\])?$`)
	smiBareRow = regexp.MustCompile(`^20[0-9]{2}/[01][0-9]/[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9](\.[0-9]+)?, `)
)

// smiKnown are --query-gpu properties; a header needs one of them.
var smiKnown = map[string]bool{
	"timestamp": true, "index": true, "name": true, "uuid": true, "pci.bus_id": true, "memory.used": true,
	"memory.total": true, "memory.free": true, "utilization.gpu": true, "utilization.memory": true,
	"temperature.gpu": true, "power.draw": true, "power.limit": true, "pstate": true, "fan.speed": true,
	"driver_version": true, "count": true, "memory.reserved": true, "clocks.sm": true, "clocks.mem": true,
}

// smiCSVHeader returns the property names of a --format=csv header line,
// or nil.
func smiCSVHeader(t []byte) []string {
	if !bytes.Contains(t, []byte(",")) {
		return nil
	}
	fs := strings.Split(string(t), ",")
	names := make([]string, len(fs))
	known := 0
	for i, f := range fs {
		m := smiField.FindStringSubmatch(strings.TrimSpace(f))
		if m == nil {
			return nil
		}
		names[i] = m[1]
		if smiKnown[m[1]] {
			known++
		}
	}
	if known == 0 {
		return nil
	}
	return names
}

// smiCSVBare reports a header-less row (--format=csv,noheader) of the
// common query timestamp,index,memory.used,memory.total,utilization.gpu.
func smiCSVBare(t []byte) bool {
	return smiBareRow.Match(t) && bytes.Contains(t, []byte(" MiB"))
}

// smiCSV parses the CSV, emitting each row as it comes; it holds one row
// back so that blank lines after it can be folded in.
type smiCSV struct {
	sp      *splitter
	env     capEnv
	names   []string
	pend    []Line // lines waiting for the next row (header, context, blanks)
	held    *forensics.Capture
	heldLn  int
	heldOff int64
	bare    bool
	err     error // the first error of the sink, returned by done
}

func newSmiCSV(sp *splitter, env capEnv) *smiCSV {
	return &smiCSV{sp: sp, env: env, pend: sp.takeContext()}
}

func (p *smiCSV) take(l *Line) bool {
	t := bytes.TrimRight(l.Text, " ")
	if len(t) == 0 {
		p.pend = append(p.pend, capCopyLine(l))
		return true
	}
	if p.names == nil {
		if names := smiCSVHeader(t); names != nil {
			p.names = names
			p.pend = append(p.pend, capCopyLine(l))
			return true
		}
		if smiCSVBare(t) {
			p.bare = true
			p.names = bareNames(t)
		} else {
			return false
		}
	} else if smiCSVHeader(t) != nil {
		return false // a new header: the next output
	}
	fs := strings.Split(string(t), ",")
	if len(fs) != len(p.names) {
		if !bytes.Contains(t, []byte(",")) && !(len(t) > 0 && t[0] >= '0' && t[0] <= '9') {
			return false // not CSV: the output ended
		}
		p.rejectLine(l, capShort("nvidia-smi CSV", len(fs), len(p.names)))
		return true
	}
	c := forensics.NoCapture()
	c.Tool, c.Kind = "nvidia-smi-query", "gpu"
	c.Attrs = map[string]any{}
	for i, name := range p.names {
		v := strings.TrimSpace(fs[i])
		if v == "" || strings.HasPrefix(v, "[") { // [N/A], [Not Supported]
			continue
		}
		switch name {
		case "timestamp":
			ts, ok := parseSmiTime(v, p.sp.in.TZ)
			if !ok {
				p.rejectLine(l, "nvidia-smi CSV row with a bad timestamp")
				return true
			}
			c.TS, c.TSSource = ts, "output"
			p.sp.saw(ts)
		case "index":
			if n, err := strconv.Atoi(v); err == nil {
				c.GPU = n
				c.Subject = v
			}
		case "name":
			c.Name = v
		case "uuid":
			c.Attrs["uuid"] = v
		case "memory.used", "memory.total", "memory.free":
			f, ok := unitNum(v, "MiB")
			if !ok {
				continue
			}
			n := int64(f * mibBytes)
			switch name {
			case "memory.used":
				c.Used = n
			case "memory.total":
				c.Total = n
			default:
				c.Free = n
			}
		case "utilization.gpu":
			if f, ok := unitNum(v, "%"); ok {
				c.UtilPct = f
			}
		case "temperature.gpu":
			if f, ok := unitNum(v, ""); ok {
				c.TempC = f
			}
		case "power.draw":
			if f, ok := unitNum(v, "W"); ok {
				c.PowerW = f
			}
		default:
			if f, ok := unitNum(strings.TrimRight(v, " %WMiBHzC"), ""); ok {
				c.Attrs[name] = f
			} else {
				c.Attrs[name] = v
			}
		}
	}
	if c.Free < 0 && c.Total >= 0 && c.Used >= 0 {
		c.Free = c.Total - c.Used
	}
	if p.bare {
		c.Attrs["columns_assumed"] = strings.Join(p.names, ",")
	}
	if err := p.flushHeld(); err != nil && p.err == nil {
		p.err = err
	}
	p.held = &c
	p.heldLn = 1 + len(p.pend)
	p.heldOff = l.Offset
	c.LineNo = l.No
	if len(p.pend) > 0 {
		p.heldOff = p.pend[0].Offset
		c.LineNo = p.pend[0].No
	}
	p.pend = p.pend[:0]
	return true
}

// bareNames guesses the columns of a header-less row from its units.
func bareNames(t []byte) []string {
	fs := strings.Split(string(t), ",")
	names := make([]string, len(fs))
	mem := 0
	for i, f := range fs {
		f = strings.TrimSpace(f)
		switch {
		case i == 0:
			names[i] = "timestamp"
		case strings.HasSuffix(f, " MiB"):
			names[i] = []string{"memory.used", "memory.total", "memory.free"}[min(mem, 2)]
			mem++
		case strings.HasSuffix(f, " %"):
			names[i] = "utilization.gpu"
		case strings.HasSuffix(f, " W"):
			names[i] = "power.draw"
		case allDigits(f) && i == 1:
			names[i] = "index"
		default:
			names[i] = "column_" + strconv.Itoa(i+1)
		}
	}
	return names
}

func (p *smiCSV) rejectLine(l *Line, why string) {
	if err := p.sp.in.Reject(l, why); err != nil && p.err == nil {
		p.err = err
	}
}

func (p *smiCSV) flushHeld() error {
	if p.held == nil {
		return nil
	}
	c := p.held
	p.held = nil
	c.Lines = p.heldLn
	if c.TS.IsZero() && !p.env.ts.IsZero() {
		c.TS, c.TSSource = p.env.ts, p.env.tsSource
	}
	if c.Host == "" {
		c.Host = p.env.host
	}
	if p.env.command != "" {
		c.Attrs["command"] = p.env.command
	}
	return p.sp.in.Emit(c, c.TS, c.Lines, p.heldOff)
}

func (p *smiCSV) done() error {
	if p.err != nil {
		return p.err
	}
	if p.held != nil {
		p.heldLn += len(p.pend) // trailing blank lines
		p.pend = p.pend[:0]
		return p.flushHeld()
	}
	for i := range p.pend {
		why := "blank line"
		if smiCSVHeader(p.pend[i].Text) != nil {
			why = "nvidia-smi CSV header without any row"
		}
		if err := p.sp.in.Reject(&p.pend[i], why); err != nil {
			return err
		}
	}
	return nil
}
