package ingest

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vidbench/forensics"
)

func captures(m *memSink) []*forensics.Capture {
	var out []*forensics.Capture
	for _, r := range m.rows {
		if c, ok := r.(*forensics.Capture); ok {
			out = append(out, c)
		}
	}
	return out
}

// summary renders a capture in one line for table-driven comparisons:
// kind subject [gpu] state used/total/free/avail util use temp power.
func summary(c *forensics.Capture) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %q", c.Tool, c.Kind, c.Subject)
	if c.GPU >= 0 {
		fmt.Fprintf(&b, " gpu=%d", c.GPU)
	}
	if c.PID > 0 {
		fmt.Fprintf(&b, " pid=%d", c.PID)
	}
	if c.Name != "" {
		fmt.Fprintf(&b, " name=%q", c.Name)
	}
	if c.State != "" {
		fmt.Fprintf(&b, " state=%s", c.State)
	}
	for _, v := range []struct {
		k string
		n int64
	}{{"used", c.Used}, {"total", c.Total}, {"free", c.Free}, {"avail", c.Avail}} {
		if v.n >= 0 {
			fmt.Fprintf(&b, " %s=%d", v.k, v.n)
		}
	}
	for _, v := range []struct {
		k  string
		f  float64
		ok bool
	}{{"util", c.UtilPct, c.UtilPct >= 0}, {"use", c.UsePct, c.UsePct >= 0}, {"temp", c.TempC, c.TempC > -274}, {"power", c.PowerW, c.PowerW >= 0}} {
		if v.ok {
			fmt.Fprintf(&b, " %s=%g", v.k, v.f)
		}
	}
	if !c.TS.IsZero() {
		fmt.Fprintf(&b, " @%s(%s)", c.TS.UTC().Format("15:04:05.000"), c.TSSource)
	}
	fmt.Fprintf(&b, " L%d+%d", c.LineNo, c.Lines)
	return b.String()
}

// gib is v * 2^shift bytes, rounded as the parser rounds.
func gib(v float64, shift int) int64 { return int64(math.Round(v * float64(int64(1)<<shift))) }

func TestCaptureFiles(t *testing.T) {
	const M = 1 << 20
	tests := []struct {
		file    string
		want    []string
		rejects []string
	}{
		{"nvidia-smi-550.txt", []string{
			fmt.Sprintf(`nvidia-smi gpu "0" gpu=0 name="NVIDIA H100 80GB HBM3" used=%d total=%d free=%d util=100 temp=71 power=692 @14:06:05.000(output) L1+12`, 80495*M, 81559*M, (81559-80495)*M),
			fmt.Sprintf(`nvidia-smi gpu "1" gpu=1 name="NVIDIA H100 80GB HBM3" used=%d total=%d free=%d util=97 temp=68 power=677 @14:06:05.000(output) L13+4`, 79183*M, 81559*M, (81559-79183)*M),
			fmt.Sprintf(`nvidia-smi gpu "2" gpu=2 name="NVIDIA H100 80GB HBM3" used=%d total=%d free=%d util=100 temp=70 power=688 @14:06:05.000(output) L17+4`, 79941*M, 81559*M, (81559-79941)*M),
			fmt.Sprintf(`nvidia-smi gpu "3" gpu=3 name="NVIDIA H100 80GB HBM3" used=%d total=%d free=%d util=88 temp=66 power=640 @14:06:05.000(output) L21+10`, 79881*M, 81559*M, (81559-79881)*M),
			fmt.Sprintf(`nvidia-smi gpu_process "48211" gpu=0 pid=48211 name="python3" used=%d @14:06:05.000(output) L31+1`, 79964*M),
			fmt.Sprintf(`nvidia-smi gpu_process "48211" gpu=1 pid=48211 name="python3" used=%d @14:06:05.000(output) L32+1`, 78652*M),
			fmt.Sprintf(`nvidia-smi gpu_process "48211" gpu=2 pid=48211 name="python3" used=%d @14:06:05.000(output) L33+1`, 79410*M),
			fmt.Sprintf(`nvidia-smi gpu_process "48211" gpu=3 pid=48211 name="python3" used=%d @14:06:05.000(output) L34+1`, 67508*M),
			fmt.Sprintf(`nvidia-smi gpu_process "2231" gpu=3 pid=2231 name="/usr/bin/python3" used=%d @14:06:05.000(output) L35+2`, 11842*M),
		}, nil},
		{"nvidia-smi-525.txt", []string{
			fmt.Sprintf(`nvidia-smi gpu "0" gpu=0 name="NVIDIA A100-SXM..." used=%d total=%d free=%d util=99 temp=34 power=62 @14:06:05.000(output) L1+12`, 80912*M, 81920*M, (81920-80912)*M),
			fmt.Sprintf(`nvidia-smi gpu "1" gpu=1 name="NVIDIA A100-SXM..." used=0 total=%d free=%d util=0 temp=31 power=58 @14:06:05.000(output) L13+10`, 81920*M, 81920*M),
			fmt.Sprintf(`nvidia-smi gpu_process "48211" gpu=0 pid=48211 name="...envs/vid-bench/bin/python" used=%d @14:06:05.000(output) L23+2`, 80890*M),
		}, nil},
		{"nvidia-smi-noproc.txt", []string{
			fmt.Sprintf(`nvidia-smi gpu "0" gpu=0 name="NVIDIA A100-SXM..." used=%d total=%d free=%d util=0 temp=30 power=55 @14:20:00.000(output) L1+20`, 4*M, 81920*M, (81920-4)*M),
		}, nil},
		{"nvidia-smi-cut.txt", []string{
			fmt.Sprintf(`nvidia-smi gpu "0" gpu=0 name="NVIDIA H100 80GB HBM3" used=%d total=%d free=%d util=100 temp=71 power=692 @14:06:05.000(output) L1+12`, 80495*M, 81559*M, (81559-80495)*M),
			fmt.Sprintf(`nvidia-smi gpu "1" gpu=1 name="NVIDIA H100 80GB HBM3" used=%d total=%d free=%d util=97 temp=68 power=677 @14:06:05.000(output) L13+4`, 79183*M, 81559*M, (81559-79183)*M),
		}, []string{"nvidia-smi table cut off: GPU line without its memory line"}},
		// a GPU that fell off the bus: nvidia-smi reports it above the
		// table of the others (fixtures/blind/gpu-xid-night); its index is
		// the gap the bus order leaves (2, between 2A and 5D)
		{"nvidia-smi-lost-gpu.txt", []string{
			`nvidia-smi gpu "0000:3B:00.0" gpu=2 state=lost @07:41:12.000(output) L1+2`,
			fmt.Sprintf(`nvidia-smi gpu "0" gpu=0 name="NVIDIA H100 80GB HBM3" used=%d total=%d free=%d util=97 temp=50 power=541 @07:41:12.000(output) L3+11`, 61240*M, 81559*M, (81559-61240)*M),
			fmt.Sprintf(`nvidia-smi gpu "1" gpu=1 name="NVIDIA H100 80GB HBM3" used=%d total=%d free=%d util=99 temp=51 power=477 @07:41:12.000(output) L14+4`, 58112*M, 81559*M, (81559-58112)*M),
			fmt.Sprintf(`nvidia-smi gpu "3" gpu=3 name="NVIDIA H100 80GB HBM3" used=%d total=%d free=%d util=0 temp=38 power=162 @07:41:12.000(output) L18+10`, 3*M, 81559*M, (81559-3)*M),
			fmt.Sprintf(`nvidia-smi gpu_process "2214731" gpu=0 pid=2214731 name="python" used=%d @07:41:12.000(output) L28+1`, 61230*M),
			fmt.Sprintf(`nvidia-smi gpu_process "2214731" gpu=1 pid=2214731 name="python" used=%d @07:41:12.000(output) L29+2`, 58102*M),
		}, nil},
		{"nvidia-smi-no-devices.txt", []string{
			`nvidia-smi gpu "" state=none @03:20:14.000(output) L1+2`,
		}, nil},
		{"nvidia-smi-no-driver.txt", []string{
			`nvidia-smi gpu "" state=unreachable @03:20:14.000(output) L1+3`,
			`nvidia-smi gpu "" state=unreachable @03:21:02.000(output) L4+3`,
		}, nil},
		{"nvidia-smi-query.csv", []string{
			fmt.Sprintf(`nvidia-smi-query gpu "0" gpu=0 used=%d total=%d free=%d util=90 @14:15:10.123(output) L1+2`, 50000*M, 81559*M, 31559*M),
			fmt.Sprintf(`nvidia-smi-query gpu "1" gpu=1 used=%d total=%d free=%d util=90 @14:15:10.130(output) L3+1`, 50001*M, 81559*M, 31558*M),
			fmt.Sprintf(`nvidia-smi-query gpu "0" gpu=0 used=%d total=%d free=%d util=91 @14:15:15.123(output) L4+1`, 50100*M, 81559*M, 31459*M),
			fmt.Sprintf(`nvidia-smi-query gpu "1" gpu=1 used=%d total=%d free=%d util=91 @14:15:15.130(output) L5+1`, 50101*M, 81559*M, 31458*M),
			fmt.Sprintf(`nvidia-smi-query gpu "0" gpu=0 used=%d total=%d free=%d util=92 @14:15:20.123(output) L6+1`, 50200*M, 81559*M, 31359*M),
			fmt.Sprintf(`nvidia-smi-query gpu "1" gpu=1 used=%d total=%d free=%d util=92 @14:15:20.130(output) L7+1`, 50201*M, 81559*M, 31358*M),
		}, nil},
		{"nvidia-smi-query-noheader.csv", []string{
			fmt.Sprintf(`nvidia-smi-query gpu "0" gpu=0 used=%d total=%d free=%d util=90 @14:15:10.123(output) L1+1`, 50000*M, 81559*M, 31559*M),
			fmt.Sprintf(`nvidia-smi-query gpu "1" gpu=1 used=%d total=%d free=%d util=90 @14:15:10.130(output) L2+1`, 50001*M, 81559*M, 31558*M),
			fmt.Sprintf(`nvidia-smi-query gpu "0" gpu=0 used=%d total=%d free=%d util=91 @14:15:15.123(output) L3+1`, 50100*M, 81559*M, 31459*M),
			fmt.Sprintf(`nvidia-smi-query gpu "1" gpu=1 used=%d total=%d free=%d util=91 @14:15:15.130(output) L4+1`, 50101*M, 81559*M, 31458*M),
			fmt.Sprintf(`nvidia-smi-query gpu "0" gpu=0 used=%d total=%d free=%d util=92 @14:15:20.123(output) L5+1`, 50200*M, 81559*M, 31359*M),
			fmt.Sprintf(`nvidia-smi-query gpu "1" gpu=1 used=%d total=%d free=%d util=92 @14:15:20.130(output) L6+1`, 50201*M, 81559*M, 31358*M),
		}, nil},
		{"compose-ps-v1.txt", []string{
			`docker-compose-ps container "vid-bench_benchmark_1" name="benchmark" state=running L1+3`,
			`docker-compose-ps container "vid-bench_postgres_1" name="postgres" state=running L4+1`,
			`docker-compose-ps container "vid-bench_redis_1" name="redis" state=running L5+1`,
			`docker-compose-ps container "vid-bench_worker_1" name="worker" state=exited L6+1`,
		}, nil},
		{"compose-ps-v2.txt", []string{
			`docker-compose-ps container "vid-bench-benchmark-1" name="benchmark" state=running L1+2`,
			`docker-compose-ps container "vid-bench-postgres-1" name="postgres" state=running L3+1`,
			`docker-compose-ps container "vid-bench-redis-1" name="redis" state=running L4+1`,
			`docker-compose-ps container "vid-bench-worker-1" name="worker" state=exited L5+1`,
		}, nil},
		{"compose-ps-v2-old.txt", []string{
			`docker-compose-ps container "vid-bench-benchmark-1" name="benchmark" state=restarting L1+2`,
			`docker-compose-ps container "vid-bench-postgres-1" name="postgres" state=running L3+1`,
			`docker-compose-ps container "vid-bench-worker-1" name="worker" state=exited L4+1`,
		}, nil},
		{"docker-ps.txt", []string{
			`docker-ps container "vid-bench-benchmark-1" name="vid-bench:2.4.1" state=running L1+2`,
			`docker-ps container "vid-bench-worker-1" name="vid-bench:2.4.1" state=exited L3+1`,
		}, nil},
		{"docker-stats.txt", []string{
			fmt.Sprintf(`docker-stats container_stats "vid-bench-benchmark-1" used=%d total=%d util=312.45 use=12.15 L1+2`, gib(61.2, 30), gib(503.8, 30)),
			fmt.Sprintf(`docker-stats container_stats "vid-bench-postgres-1" used=%d total=%d util=3.02 use=0.24 L3+1`, gib(1.234, 30), gib(503.8, 30)),
			fmt.Sprintf(`docker-stats container_stats "vid-bench-redis-1" used=%d total=%d util=0.41 use=0 L4+1`, gib(12.5, 20), gib(503.8, 30)),
		}, nil},
		{"state-1408.txt", []string{
			`df filesystem "/dev" name="udev" used=0 total=270582939648 free=270582939648 avail=270582939648 use=0 @14:08:20.000(date_line) L1+4`,
			`df filesystem "/run" name="tmpfs" used=3250586 total=54760833024 free=54757582438 avail=54760833024 use=1 @14:08:20.000(date_line) L5+1`,
			`df filesystem "/" name="/dev/nvme0n1p2" used=1869169767219 total=1979120929997 free=109951162778 avail=45097156608 use=98 @14:08:20.000(date_line) L6+1`,
			`df filesystem "/data" name="/dev/md0" used=10005555812762 total=15393162788864 free=5387606976102 avail=4727899999437 use=68 @14:08:20.000(date_line) L7+2`,
			`free memory "Mem" used=76235669504 total=540092137472 free=4402341478 avail=460635242496 use=14.12 @14:08:20.000(date_line) L9+3`,
			`free swap "Swap" used=1288490189 total=8589934592 free=7301444403 use=15 @14:08:20.000(date_line) L12+1`,
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "responders", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if sc := (Capture{}).Sniff(newSample(tt.file, b, true)); sc < 90 {
				t.Errorf("sniff %d", sc)
			}
			m, _ := readPath(t, Capture{}, tt.file, string(b))
			var got []string
			for _, c := range captures(m) {
				got = append(got, summary(c))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if strings.Join(m.rejects, "|") != strings.Join(tt.rejects, "|") {
				t.Errorf("rejects %q, want %q", m.rejects, tt.rejects)
			}
		})
	}
}

// TestRealDFAndFree runs df and free of this machine in several layouts
// and reads what they print: one row per filesystem line, memory and swap.
func TestRealDFAndFree(t *testing.T) {
	tests := []struct {
		cmd   []string
		kind  string
		extra int // lines that are not rows (headers)
	}{
		{[]string{"df", "-h"}, "filesystem", 1},
		{[]string{"df", "-hT"}, "filesystem", 1},
		{[]string{"df", "-k"}, "filesystem", 1},
		{[]string{"df", "-P"}, "filesystem", 1},
		{[]string{"df", "-H"}, "filesystem", 1},
		{[]string{"df", "-i"}, "filesystem_inodes", 1},
		{[]string{"free", "-h"}, "", 1},
		{[]string{"free", "-m"}, "", 1},
		{[]string{"free", "-w", "-h"}, "", 1},
		{[]string{"free"}, "", 1},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.cmd, " "), func(t *testing.T) {
			path, err := exec.LookPath(tt.cmd[0])
			if err != nil {
				t.Skipf("no %s here", tt.cmd[0])
			}
			out, err := exec.Command(path, tt.cmd[1:]...).Output()
			if err != nil && len(out) == 0 {
				t.Skipf("%v: %v", tt.cmd, err)
			}
			text := "$ " + strings.Join(tt.cmd, " ") + "\n" + string(out)
			m, st := readPath(t, Capture{}, "out.txt", text)
			if st.Rejects != 0 {
				t.Fatalf("rejects %q in\n%s", m.rejects, text)
			}
			rows := captures(m)
			want := strings.Count(string(out), "\n") - tt.extra
			if len(rows) != want {
				t.Fatalf("%d rows, want %d:\n%s", len(rows), want, text)
			}
			for _, c := range rows {
				switch {
				case tt.kind == "filesystem" && (c.Kind != "filesystem" || c.Subject == "" || (c.Total < 0 && c.Name != "")):
					t.Errorf("row %+v", c)
				case tt.kind == "" && c.Kind == "memory" && (c.Total <= 0 || c.Used < 0 || c.Free < 0):
					t.Errorf("memory row %+v", c)
				}
			}
		})
	}
}

// TestNvidiaSmiErrors checks the rows made of nvidia-smi's error lines:
// the state, the bus id and the error text as printed, in a saved file and
// in a script session, and that such a line is not read as an error when
// it does not stand alone.
func TestNvidiaSmiErrors(t *testing.T) {
	tests := []struct {
		name, line        string
		state, bus, index string
	}{
		{"lost GPU, driver 550", "Unable to determine the device handle for GPU0000:3B:00.0: Unknown Error", "lost", "0000:3B:00.0", ""},
		{"lost GPU, older driver", "Unable to determine the device handle for gpu 0000:86:00.0: GPU is lost.  Reboot the system to recover this GPU", "lost", "0000:86:00.0", ""},
		{"no devices", "No devices were found", "none", "", ""},
		{"no driver", "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.", "unreachable", "", ""},
		{"NVML mismatch", "Failed to initialize NVML: Driver/library version mismatch", "unreachable", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := "Mon May  3 07:41:12 2027\n" + tt.line + "\n"
			m, st := readPath(t, Capture{}, "captures/nvidia-smi.txt", text)
			cs := captures(m)
			if len(cs) != 1 || st.Rejects != 0 {
				t.Fatalf("%d rows, rejects %q", len(cs), m.rejects)
			}
			c := cs[0]
			if c.Tool != "nvidia-smi" || c.Kind != "gpu" || c.State != tt.state || c.Subject != tt.bus ||
				c.Attrs["status"] != tt.state || c.Attrs["error"] != tt.line || c.TSSource != "output" || c.Lines != 2 {
				t.Errorf("got %s %v", summary(c), c.Attrs)
			}
			if got, _ := c.Attrs["bus_id"].(string); got != tt.bus {
				t.Errorf("bus_id %q, want %q", got, tt.bus)
			}
			if c.GPU != -1 {
				t.Errorf("gpu %d: no table tells the index", c.GPU)
			}
		})
	}
	t.Run("in a script session", func(t *testing.T) {
		text := "Script started on 2027-05-03 07:40:02+00:00 [TERM=\"xterm\"]\n" +
			"hank@gpu-host-4:~$ nvidia-smi\n" +
			"Unable to determine the device handle for GPU0000:3B:00.0: Unknown Error\n" +
			"No devices were found\n" +
			"hank@gpu-host-4:~$ exit\n"
		m, st := readPath(t, Script{}, "s.log", text)
		var got []string
		for _, c := range captures(m) {
			got = append(got, summary(c))
		}
		want := []string{`nvidia-smi gpu "0000:3B:00.0" state=lost @07:40:02.000(session) L3+1`, `nvidia-smi gpu "" state=none @07:40:02.000(session) L4+1`}
		if strings.Join(got, "\n") != strings.Join(want, "\n") || st.Rejects != 0 {
			t.Errorf("got\n%s\nwant\n%s\nrejects %q", strings.Join(got, "\n"), strings.Join(want, "\n"), m.rejects)
		}
	})
	t.Run("not alone on its line", func(t *testing.T) {
		for _, l := range []string{"grep: No devices were found in the list", "echo Unable to determine the device handle for GPU0000:3B:00.0: Unknown Error"} {
			if _, ok := parseSmiError([]byte(l)); ok {
				t.Errorf("%q read as an nvidia-smi error", l)
			}
		}
	})
}
