package ingest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The journald test corpus: two boots of a GPU host through the incident
// (kernel OOM killer and NVIDIA Xid lines, systemd's lines about
// vid-bench.service, the app's own stdout, PostgreSQL and docker), with the
// awkward values real journals hold: multi-line and non-UTF-8 messages,
// ANSI colours, a repeated field, a repeated MESSAGE, a field longer than
// journalctl's 4096-byte threshold, an empty value. writeExport writes it
// as export streams (testdata/journal/boot-*.export, refreshed with
// -update), from which the tests make real journal files with
// systemd-journal-remote.

type kv struct{ k, v string }

type corpusEntry []kv

const (
	bootA   = "4f1c2a9d8e7b4c6a9f0e1d2c3b4a5968"
	bootB   = "7a6b5c4d3e2f40293847566574839201"
	machine = "0f9e8d7c6b5a49382716059483726150"
	host    = "gpu-host-1"
)

// corpus returns the entries of one boot ("a": the incident, "b": after
// the reboot).
func corpus(boot string) []corpusEntry {
	var out []corpusEntry
	id, rt, mono := bootA, int64(1795701600000000), int64(5000000)
	if boot == "b" {
		id, rt, mono = bootB, 1795703400000000, 4000000
	}
	add := func(fields ...kv) {
		rt += 250000 + int64(len(out)%7)*1013
		mono += 250000 + int64(len(out)%7)*1013
		e := corpusEntry{
			{"__REALTIME_TIMESTAMP", fmt.Sprint(rt)},
			{"__MONOTONIC_TIMESTAMP", fmt.Sprint(mono)},
			{"_BOOT_ID", id},
		}
		e = append(e, fields...)
		e = append(e, kv{"_MACHINE_ID", machine}, kv{"_HOSTNAME", host})
		out = append(out, e)
	}
	kernel := func(prio int, msg string) {
		add(kv{"_TRANSPORT", "kernel"}, kv{"PRIORITY", fmt.Sprint(prio)}, kv{"SYSLOG_FACILITY", "0"},
			kv{"SYSLOG_IDENTIFIER", "kernel"}, kv{"MESSAGE", msg}, kv{"_SOURCE_MONOTONIC_TIMESTAMP", fmt.Sprint(mono - 17)})
	}
	systemd := func(prio int, unit, msg string) {
		add(kv{"_TRANSPORT", "journal"}, kv{"PRIORITY", fmt.Sprint(prio)}, kv{"SYSLOG_FACILITY", "3"},
			kv{"SYSLOG_IDENTIFIER", "systemd"}, kv{"CODE_FILE", "src/core/unit.c"}, kv{"CODE_LINE", "5711"},
			kv{"CODE_FUNC", "unit_log_failure"}, kv{"UNIT", unit}, kv{"MESSAGE", msg},
			kv{"_PID", "1"}, kv{"_UID", "0"}, kv{"_GID", "0"}, kv{"_COMM", "systemd"}, kv{"_EXE", "/usr/lib/systemd/systemd"},
			kv{"_CMDLINE", "/sbin/init"}, kv{"_CAP_EFFECTIVE", "1ffffffffff"}, kv{"_SYSTEMD_CGROUP", "/init.scope"},
			kv{"_SYSTEMD_UNIT", "init.scope"}, kv{"_SYSTEMD_SLICE", "-.slice"}, kv{"_SOURCE_REALTIME_TIMESTAMP", fmt.Sprint(rt - 211)})
	}
	service := func(unit, ident, pid string, prio int, msg string, extra ...kv) {
		f := []kv{{"_TRANSPORT", "stdout"}, {"PRIORITY", fmt.Sprint(prio)}, {"SYSLOG_FACILITY", "3"},
			{"SYSLOG_IDENTIFIER", ident}, {"MESSAGE", msg}, {"_PID", pid}, {"_UID", "1000"}, {"_GID", "1000"},
			{"_COMM", ident}, {"_SYSTEMD_CGROUP", "/system.slice/" + unit}, {"_SYSTEMD_UNIT", unit},
			{"_SYSTEMD_SLICE", "system.slice"}, {"_STREAM_ID", "9c1b2a3d4e5f60718293a4b5c6d7e8f9"}}
		add(append(f, extra...)...)
	}
	app := func(prio int, msg string, extra ...kv) {
		service("vid-bench.service", "vid-bench", "4242", prio, msg, extra...)
	}

	kernel(5, "Linux version 6.1.0-27-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1")
	if boot == "b" {
		systemd(6, "vid-bench.service", "Started vid-bench.service - Video Diffusion Benchmark API.")
		app(6, "2026-11-20 14:30:05,120 INFO [vid_bench.api] Starting vid-bench API v2.4.1")
		service("postgresql@15-main.service", "postgres", "311", 6, "2026-11-20 14:30:06.001 UTC [311] LOG:  database system is ready to accept connections")
		service("postgresql@15-main.service", "postgres", "20916", 3, "2026-11-20 14:31:12.001 UTC [20916] FATAL:  sorry, too many clients already")
		service("docker.service", "dockerd", "880", 6, `time="2026-11-20T14:31:15.000000000Z" level=info msg="Container benchmark-1 started"`)
		app(4, "2026-11-20 14:32:00,000 WARNING [vid_bench.runner] queue depth 42 above 40")
		app(6, "Modell geladen: svd-xt 🎥 in 12.5 s")
		return out
	}
	systemd(6, "vid-bench.service", "Started vid-bench.service - Video Diffusion Benchmark API.")
	app(6, "2026-11-20 14:00:05,120 INFO [vid_bench.api] Starting vid-bench API v2.4.1")
	service("redis-server.service", "redis-server", "902", 6, "902:M 20 Nov 2026 14:00:06.001 * Ready to accept connections tcp")
	service("prometheus.service", "prometheus", "915", 6, `ts=2026-11-20T14:00:06.500Z caller=main.go:1234 level=info msg="Server is ready to receive web requests."`)
	for i := 0; i < 12; i++ {
		app(6, fmt.Sprintf("2026-11-20 14:01:%02d,%03d INFO [vid_bench.runner] Benchmark run 8f3a%02d step %d of model svd-xt took %d ms", i*4, i*37%1000, i, i, 800+i*53))
	}
	// a traceback logged in one write: a multi-line MESSAGE
	app(3, "2026-11-20 14:02:11,532 ERROR [vid_bench.runner] Benchmark run 8f3a21 failed on model svd-xt\n"+
		"Traceback (most recent call last):\n  File \"/app/runner.py\", line 10, in run\n    x = model(y)\n"+
		"torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.")
	// colours from a terminal-aware logger: valid UTF-8 with control bytes
	app(3, "\x1b[31mERROR\x1b[0m model load failed: svd-xt")
	// bytes that are not UTF-8
	app(6, "upload name \xff\xfe\x00ok\xc3(")
	// a field repeated within one entry, and an empty value
	app(6, "2026-11-20 14:02:12,000 INFO [vid_bench.api] tagged", kv{"TAG", "alpha"}, kv{"TAG", "beta"}, kv{"TAG", "gamma"}, kv{"EMPTY", ""})
	// a field longer than journalctl's threshold (4096 bytes): null without --all
	app(6, "2026-11-20 14:02:13,000 INFO [vid_bench.api] config dump attached", kv{"CONFIG_DUMP", strings.Repeat("max_batch_size=4;", 700)})
	// two values of MESSAGE itself
	app(6, "first of two messages", kv{"MESSAGE", "second of two messages"}, kv{"VALUE_WITH_EQUALS", "a=b=c"})
	kernel(4, "NVRM: Xid (PCI:0000:3b:00): 79, pid=48211, name=python3, GPU has fallen off the bus.")
	kernel(4, "python3 invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0")
	kernel(6, "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/system.slice/vid-bench.service,task=python3,pid=48211,uid=1000")
	kernel(3, "Out of memory: Killed process 48211 (python3) total-vm:98765432kB, anon-rss:81234567kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:160000kB oom_score_adj:0")
	systemd(4, "vid-bench.service", "vid-bench.service: A process of this unit has been killed by the OOM killer.")
	systemd(5, "vid-bench.service", "vid-bench.service: Main process exited, code=killed, status=9/KILL")
	systemd(4, "vid-bench.service", "vid-bench.service: Failed with result 'oom-kill'.")
	systemd(6, "vid-bench.service", "vid-bench.service: Consumed 1h 2min 3.456s CPU time.")
	systemd(6, "vid-bench.service", "vid-bench.service: Scheduled restart job, restart counter is at 3.")
	systemd(6, "vid-bench.service", "Stopped vid-bench.service - Video Diffusion Benchmark API.")
	systemd(6, "vid-bench.service", "Starting vid-bench.service - Video Diffusion Benchmark API...")
	systemd(6, "vid-bench.service", "Started vid-bench.service - Video Diffusion Benchmark API.")
	// a syslog line without _PID, only SYSLOG_PID
	add(kv{"_TRANSPORT", "syslog"}, kv{"PRIORITY", "6"}, kv{"SYSLOG_FACILITY", "10"}, kv{"SYSLOG_IDENTIFIER", "sshd"},
		kv{"SYSLOG_PID", "7001"}, kv{"MESSAGE", "Accepted publickey for oncall from 10.0.3.9 port 52144 ssh2"})
	return out
}

// writeExport writes entries as journald's export format, a value as
// binary when it is not printable UTF-8 (as journalctl -o export does).
func writeExport(w io.Writer, entries []corpusEntry) error {
	var b bytes.Buffer
	for _, e := range entries {
		for _, f := range e {
			if printable(f.v) {
				b.WriteString(f.k + "=" + f.v + "\n")
				continue
			}
			b.WriteString(f.k + "\n")
			var n [8]byte
			binary.LittleEndian.PutUint64(n[:], uint64(len(f.v)))
			b.Write(n[:])
			b.WriteString(f.v + "\n")
		}
		b.WriteString("\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < ' ' && r != '\t' || r == 0x7f {
			return false
		}
	}
	return true
}

// benchCorpus repeats boot a's entries (all but the one with a 12 KB
// field), each round a minute later, to n entries; skip entries of the
// sequence are left out first, so that a long stream is written in parts.
func benchCorpus(n int, skip int64) []corpusEntry {
	var base []corpusEntry
	for _, e := range corpus("a") {
		small := true
		for _, f := range e {
			small = small && len(f.v) < 1024
		}
		if small {
			base = append(base, e)
		}
	}
	out := make([]corpusEntry, 0, n)
	for i := skip; len(out) < n; i++ {
		k, e := i/int64(len(base)), base[i%int64(len(base))]
		c := make(corpusEntry, len(e))
		copy(c, e)
		for j := range c {
			if c[j].k == "__REALTIME_TIMESTAMP" || c[j].k == "__MONOTONIC_TIMESTAMP" {
				v, _ := strconv.ParseInt(c[j].v, 10, 64)
				c[j].v = strconv.FormatInt(v+k*60_000_000, 10)
			}
		}
		out = append(out, c)
	}
	return out
}
