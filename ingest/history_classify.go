package ingest

import (
	"path"
	"regexp"
	"strings"

	"github.com/vidbench/forensics"
)

// This file tells what a shell command does, by meaning rather than by one
// exact string: `docker compose restart` and `sudo docker-compose -f x.yml
// restart benchmark` are both restarts, `psql -c "SELECT
// pg_terminate_backend(pid) ..."` kills queries, `watch -n 1 nvidia-smi`
// only looks. The command line is split like a shell splits it (quotes,
// escapes, pipes, && || ; chains, redirections); wrappers (sudo, env, time,
// nohup, timeout, watch, ssh host, bash -c, docker exec, xargs) are looked
// through; then each simple command is matched against a table of tools.

// Meaning is what a command line does.
type Meaning struct {
	Action  string   // one of forensics.Action*
	Target  string   // what it acts on (a service, a setting, a path, enable/disable)
	Service string   // the service, container or unit it restarts or scales
	Sudo    bool     // run through sudo or doas
	Actions []string // every meaning in a chain or pipeline that changes something, in order (when more than one)
}

// Classify tells what a command line does.
func Classify(line string) Meaning {
	return classifyDepth(line, 0)
}

func classifyDepth(line string, depth int) Meaning {
	toks := shellSplit(line)
	var parts []Meaning
	var pipe []Meaning
	flushPipe := func() {
		if len(pipe) == 0 {
			return
		}
		parts = append(parts, combineMeanings(pipe, false))
		pipe = nil
	}
	var cur []shToken
	end := func() {
		if len(cur) > 0 {
			pipe = append(pipe, classifySimple(cur, depth))
		}
		cur = nil
	}
	for _, t := range toks {
		if t.op == "" || isRedirect(t.op) {
			cur = append(cur, t)
			continue
		}
		end()
		if t.op != "|" && t.op != "|&" {
			flushPipe()
		}
	}
	end()
	flushPipe()
	if len(parts) == 0 {
		return Meaning{Action: forensics.ActionLookOnly} // blank or only a comment: nothing runs
	}
	return combineMeanings(parts, true)
}

// combine merges the meanings of a pipeline's commands or a chain's
// pipelines: the first that changes something wins; all look-only is
// look-only; anything unrecognised left makes it other.
func combineMeanings(ms []Meaning, chain bool) Meaning {
	var out Meaning
	var acts []string
	allLook := true
	for _, m := range ms {
		out.Sudo = out.Sudo || m.Sudo
		if isChange(m.Action) {
			if out.Action == "" || !isChange(out.Action) {
				s := out.Sudo
				out = m
				out.Sudo = s
			}
			if len(m.Actions) > 0 {
				acts = append(acts, m.Actions...)
			} else {
				acts = append(acts, m.Action)
			}
		}
		if m.Action != forensics.ActionLookOnly {
			allLook = false
		}
	}
	switch {
	case isChange(out.Action):
	case allLook:
		out = Meaning{Action: forensics.ActionLookOnly, Sudo: out.Sudo}
		// a look keeps its target (the first that has one)
		for _, m := range ms {
			if m.Target != "" {
				out.Target, out.Service = m.Target, m.Service
				break
			}
		}
	default:
		out = Meaning{Action: forensics.ActionOther, Sudo: out.Sudo}
		for _, m := range ms {
			if m.Action == forensics.ActionOther && m.Target != "" {
				out.Target = m.Target
				break
			}
		}
	}
	if len(acts) > 1 {
		out.Actions = acts
	} else {
		out.Actions = nil
	}
	return out
}

func isChange(a string) bool {
	return a != "" && a != forensics.ActionLookOnly && a != forensics.ActionOther
}

// token is a shell word (unquoted) or an operator (op set).
type shToken struct {
	text string
	op   string // "", "|", "|&", "&&", "||", ";", "&", "\n", or a redirection (">", ">>", "2>", "&>", "<", ...)
}

func isRedirect(op string) bool {
	return op != "" && (strings.ContainsAny(op, "<>"))
}

// shellSplit splits a command line into words and operators as a POSIX
// shell would, leniently: an unclosed quote runs to the end, $(...) and
// backquotes stay inside their word, # starts a comment at a word start.
func shellSplit(s string) []shToken {
	var toks []shToken
	var w strings.Builder
	inWord := false
	emit := func() {
		if inWord {
			toks = append(toks, shToken{text: w.String()})
			w.Reset()
			inWord = false
		}
	}
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			if s[i+1] == '\n' { // line continuation
				i += 2
				continue
			}
			w.WriteByte(s[i+1])
			inWord = true
			i += 2
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				w.WriteString(s[i+1:])
				i = len(s)
			} else {
				w.WriteString(s[i+1 : i+1+j])
				i += j + 2
			}
			inWord = true
		case c == '"':
			i++
			for i < len(s) && s[i] != '"' {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`\n", s[i+1]) >= 0 {
					w.WriteByte(s[i+1])
					i += 2
					continue
				}
				w.WriteByte(s[i])
				i++
			}
			i++
			inWord = true
		case c == '$' && i+1 < len(s) && s[i+1] == '(':
			// $( ... ) with nesting, kept in the word
			depth := 0
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == '(' {
					depth++
				} else if s[j] == ')' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			end := min(j+1, len(s))
			w.WriteString(s[i:end])
			i = end
			inWord = true
		case c == '`':
			j := strings.IndexByte(s[i+1:], '`')
			end := len(s)
			if j >= 0 {
				end = i + 1 + j + 1
			}
			w.WriteString(s[i:end])
			i = end
			inWord = true
		case c == ' ' || c == '\t' || c == '\r':
			emit()
			i++
		case c == '#' && !inWord:
			// comment to the end of the line
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '(' || c == ')':
			// subshells and groups: a command boundary
			emit()
			toks = append(toks, shToken{op: ";"})
			i++
		case c == '\n' || c == ';' || c == '|' || c == '&' || c == '<' || c == '>':
			// a digit word right before a redirection is its fd (2>)
			fd := ""
			if (c == '<' || c == '>') && inWord && allDigits(w.String()) {
				fd = w.String()
				w.Reset()
				inWord = false
			}
			emit()
			op := string(c)
			if i+1 < len(s) {
				switch two := s[i : i+2]; two {
				case "&&", "||", ">>", "|&", "&>", ">&", "<<", ";;":
					op = two
				}
			}
			i += len(op)
			if op == "&>" && i < len(s) && s[i] == '>' {
				op = "&>>"
				i++
			}
			toks = append(toks, shToken{op: fd + op})
		default:
			w.WriteByte(c)
			inWord = true
			i++
		}
	}
	emit()
	return toks
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// simple is one simple command: its words and where its output goes.
type shSimple struct {
	words  []string
	writes []string // files written by > or >>
	sudo   bool
}

func splitSimple(toks []shToken) shSimple {
	var sc shSimple
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.op != "" {
			if i+1 < len(toks) && toks[i+1].op == "" {
				if strings.Contains(t.op, ">") && !strings.HasSuffix(t.op, "&") {
					sc.writes = append(sc.writes, toks[i+1].text)
				}
				i++
			}
			continue
		}
		sc.words = append(sc.words, t.text)
	}
	return sc
}

var shAssign = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// unwrap strips what runs a command without being it: VAR=x, sudo, env,
// time, nohup, nice, timeout, stdbuf, command, exec, builtin.
func shUnwrap(sc *shSimple) {
	w := sc.words
	for len(w) > 0 {
		base := path.Base(w[0])
		switch {
		case shAssign.MatchString(w[0]):
			w = w[1:]
		case w[0] == "do" || w[0] == "then" || w[0] == "else" || w[0] == "elif" || w[0] == "if" || w[0] == "while" ||
			w[0] == "until" || w[0] == "!" || w[0] == "{":
			// shell grammar around the command
			w = w[1:]
		case base == "sudo" || base == "doas":
			sc.sudo = true
			w = w[1:]
			for len(w) > 0 && strings.HasPrefix(w[0], "-") {
				opt := w[0]
				w = w[1:]
				if opt == "--" {
					break
				}
				// options that take a value
				if (opt == "-u" || opt == "-g" || opt == "-C" || opt == "-h" || opt == "-p" || opt == "-r" || opt == "-t" || opt == "-U" || opt == "-D") && len(w) > 0 {
					w = w[1:]
				}
			}
		case base == "env":
			w = w[1:]
			for len(w) > 0 && (strings.HasPrefix(w[0], "-") || shAssign.MatchString(w[0])) {
				if (w[0] == "-u" || w[0] == "-C" || w[0] == "-S") && len(w) > 1 {
					w = w[1:]
				}
				w = w[1:]
			}
		case base == "time" || base == "nohup" || base == "command" || base == "exec" || base == "builtin" || base == "unbuffer":
			w = w[1:]
			for len(w) > 0 && strings.HasPrefix(w[0], "-") {
				w = w[1:]
			}
		case base == "nice" || base == "ionice" || base == "stdbuf" || base == "chrt" || base == "taskset":
			w = w[1:]
			for len(w) > 0 && strings.HasPrefix(w[0], "-") {
				opt := w[0]
				w = w[1:]
				if (opt == "-n" || opt == "-c" || opt == "-p") && len(w) > 0 {
					w = w[1:]
				}
			}
			if base == "taskset" || base == "chrt" {
				if len(w) > 0 {
					w = w[1:]
				}
			}
		case base == "timeout":
			w = w[1:]
			for len(w) > 0 && strings.HasPrefix(w[0], "-") {
				opt := w[0]
				w = w[1:]
				if (opt == "-s" || opt == "-k" || opt == "--signal" || opt == "--kill-after") && len(w) > 0 {
					w = w[1:]
				}
			}
			if len(w) > 0 {
				w = w[1:] // the duration
			}
		default:
			sc.words = w
			return
		}
	}
	sc.words = w
}

// classifySimple tells what one simple command does.
func classifySimple(toks []shToken, depth int) Meaning {
	sc := splitSimple(toks)
	shUnwrap(&sc)
	m := classifyWords(sc, depth)
	m.Sudo = m.Sudo || sc.sudo
	// where the output goes can be the action itself
	for _, f := range sc.writes {
		switch {
		case strings.HasPrefix(f, "/proc/sys/vm/drop_caches"):
			return Meaning{Action: forensics.ActionCacheClear, Target: f, Sudo: m.Sudo}
		case strings.HasPrefix(f, "/proc/sys/") || strings.HasPrefix(f, "/sys/"):
			return Meaning{Action: forensics.ActionConfigChange, Target: f, Sudo: m.Sudo}
		case isConfigPath(f):
			return Meaning{Action: forensics.ActionConfigChange, Target: f, Sudo: m.Sudo}
		case len(sc.words) == 0 || (len(sc.words) == 1 && (sc.words[0] == ":" || sc.words[0] == "true")):
			// "> file" or ": > file" empties it
			return Meaning{Action: forensics.ActionCleanup, Target: f, Sudo: m.Sudo}
		}
	}
	return m
}

// isConfigPath reports whether a path names a configuration file.
func isConfigPath(p string) bool {
	p = strings.ToLower(p)
	if strings.HasPrefix(p, "/etc/") || strings.Contains(p, "config") || strings.Contains(p, ".env") {
		return true
	}
	for _, ext := range []string{".yaml", ".yml", ".conf", ".cfg", ".ini", ".toml", ".properties"} {
		if strings.HasSuffix(p, ext) {
			return true
		}
	}
	return path.Base(p) == "docker-compose.override.yml"
}

// isCachePath reports whether a path is a cache (model cache, Hugging
// Face cache, pip cache, torch kernels).
func isCachePath(p string) bool {
	p = strings.ToLower(p)
	return strings.Contains(p, "cache") || strings.Contains(p, "huggingface") || strings.Contains(p, "/models/") ||
		strings.HasSuffix(p, "/models") || strings.Contains(p, "/.triton")
}

// args returns the words that are not options. Options in takesValue
// consume the next word.
func cmdArgs(w []string, takesValue ...string) []string {
	var out []string
	for i := 0; i < len(w); i++ {
		a := w[i]
		if a == "--" {
			out = append(out, w[i+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			if !strings.Contains(a, "=") {
				for _, o := range takesValue {
					if a == o {
						i++
						break
					}
				}
			}
			continue
		}
		out = append(out, a)
	}
	return out
}

func cmdOpt(w []string, opts ...string) bool {
	for _, a := range w {
		for _, o := range opts {
			if a == o || strings.HasPrefix(a, o+"=") {
				return true
			}
		}
	}
	return false
}

// lookOnlyTools change nothing whatever their arguments (beyond what the
// tables below handle first).
var lookOnlyTools = map[string]bool{
	"nvidia-smi": true, "nvtop": true, "gpustat": true, "dcgmi": true, "top": true, "htop": true, "atop": true, "btop": true,
	"free": true, "df": true, "du": true, "ncdu": true, "ls": true, "ll": true, "la": true, "l": true, "tree": true, "cat": true, "bat": true,
	"less": true, "more": true, "tail": true, "head": true, "grep": true, "egrep": true, "fgrep": true, "zgrep": true,
	"zcat": true, "zless": true, "xzcat": true, "rg": true, "ag": true, "ack": true, "awk": true, "gawk": true, "sort": true,
	"uniq": true, "wc": true, "cut": true, "jq": true, "yq": true, "column": true, "locate": true, "which": true, "whereis": true,
	"file": true, "stat": true, "ps": true, "pgrep": true, "pstree": true, "pidof": true, "uptime": true, "w": true, "who": true,
	"whoami": true, "id": true, "last": true, "hostname": true, "date": true, "cal": true, "uname": true, "vmstat": true,
	"iostat": true, "mpstat": true, "sar": true, "pidstat": true, "dmesg": true, "lsof": true, "netstat": true, "ss": true, "ip": true,
	"ifconfig": true, "ping": true, "traceroute": true, "tracepath": true, "mtr": true, "dig": true, "nslookup": true,
	"host": true, "telnet": true, "nc": true, "ncat": true, "pg_isready": true, "nproc": true, "lscpu": true, "lsblk": true,
	"blkid": true, "findmnt": true, "dstat": true, "strace": true, "ltrace": true, "py-spy": true, "printenv": true, "echo": true,
	"printf": true, "history": true, "cd": true, "pushd": true, "popd": true, "pwd": true, "clear": true, "reset": true,
	"exit": true, "logout": true, "sleep": true, "man": true, "help": true, "type": true, "alias": true, "tmux": true,
	"screen": true, "script": true, "true": true, "md5sum": true, "sha256sum": true, "sha1sum": true, "diff": true, "cmp": true,
	"pg_dump": true, "pg_dumpall": true, "iotop": true, "iftop": true, "nethogs": true, "glances": true, "lspci": true,
	"nvcc": true, "env": true, "su": true, "test": true, "[": true, "tee": true, "xxd": true, "hexdump": true, "od": true,
	"strings": true, "base64": true, "view": true, "tac": true, "nl": true, "timedatectl": true, "hostnamectl": true,
	"loginctl": true, "lslocks": true, "slabtop": true, "numastat": true, "nvidia-debugdump": true, "nvidia-bug-report.sh": true,
}

// classifyWords tells what a simple command (wrappers stripped) does.
func classifyWords(sc shSimple, depth int) Meaning {
	w := sc.words
	look := Meaning{Action: forensics.ActionLookOnly}
	other := Meaning{Action: forensics.ActionOther}
	if len(w) == 0 {
		return look // a bare redirection or assignment
	}
	name := path.Base(w[0])
	rest := w[1:]
	recurse := func(words []string) Meaning {
		if depth > 6 || len(words) == 0 {
			return other
		}
		if len(words) == 1 {
			return classifyDepth(words[0], depth+1)
		}
		return classifyDepth(shellJoin(words), depth+1)
	}
	switch name {
	case "docker-compose", "podman-compose":
		return composeCmd(rest, depth, recurse)
	case "docker", "podman", "nerdctl":
		return dockerCmd(rest, depth, recurse)
	case "systemctl":
		return systemctl(rest)
	case "service":
		a := cmdArgs(rest)
		if len(a) >= 2 {
			return unitVerb(a[1], strings.TrimSuffix(a[0], ".service"))
		}
		return look
	case "reboot", "shutdown", "poweroff", "halt":
		return Meaning{Action: forensics.ActionRestart, Target: "host"}
	case "supervisorctl":
		a := cmdArgs(rest, "-c", "-s", "-u", "-p")
		if len(a) >= 1 {
			svc := ""
			if len(a) >= 2 {
				svc = a[1]
			}
			return unitVerb(a[0], svc)
		}
		return look
	case "kubectl", "oc":
		return kubectl(rest, recurse)
	case "nvidia-smi":
		switch {
		case cmdOpt(rest, "-r", "--gpu-reset"):
			return Meaning{Action: forensics.ActionRestart, Target: "gpu reset"}
		case cmdOpt(rest, "-pl", "--power-limit", "-c", "--compute-mode", "-pm", "--persistence-mode", "-mig", "--multi-instance-gpu",
			"-ac", "--applications-clocks", "-rac", "-lgc", "--lock-gpu-clocks", "-rgc", "-e", "--ecc-config"):
			return Meaning{Action: forensics.ActionConfigChange, Target: "nvidia-smi " + strings.Join(rest, " ")}
		}
		return look
	case "vid-bench", "vidbench", "vid_bench":
		return vidBench(rest)
	case "python", "python3", "python3.11", "python3.12", "ipython":
		if i := wordIndex(rest, "-m"); i >= 0 && i+1 < len(rest) && strings.HasPrefix(rest[i+1], "vid_bench") {
			return vidBench(rest[i+2:])
		}
		if i := wordIndex(rest, "-c"); i >= 0 && i+1 < len(rest) {
			code := rest[i+1]
			switch {
			case strings.Contains(code, "empty_cache") || strings.Contains(code, "ipc_collect"):
				return Meaning{Action: forensics.ActionCacheClear, Target: "torch.cuda.empty_cache()"}
			case strings.Contains(code, "snapshot_download") || strings.Contains(code, "hf_hub_download") || strings.Contains(code, "from_pretrained"):
				return Meaning{Action: forensics.ActionModelRedownload, Target: code}
			case strings.Contains(code, "print(") && !strings.Contains(code, "open("):
				return look
			}
		}
		return other
	case "psql":
		return psql(rest)
	case "pg_ctl", "pg_ctlcluster":
		for _, a := range rest {
			if a == "restart" || a == "stop" || a == "start" {
				return Meaning{Action: forensics.ActionRestart, Target: "postgres", Service: "postgres"}
			}
			if a == "reload" {
				return Meaning{Action: forensics.ActionConfigChange, Target: "postgres reload"}
			}
		}
		return look
	case "redis-cli", "valkey-cli":
		return redisCli(rest)
	case "rm", "rmdir", "shred", "unlink":
		a := cmdArgs(rest)
		for _, p := range a {
			if isCachePath(p) {
				return Meaning{Action: forensics.ActionCacheClear, Target: strings.Join(a, " ")}
			}
		}
		return Meaning{Action: forensics.ActionCleanup, Target: strings.Join(a, " ")}
	case "find":
		if cmdOpt(rest, "-delete") || (cmdOpt(rest, "-exec", "-execdir") && (hasWordArg(rest, "rm") || hasWordArg(rest, "shred"))) {
			a := cmdArgs(rest, "-name", "-iname", "-mtime", "-mmin", "-size", "-type", "-maxdepth", "-mindepth", "-path", "-newer", "-user", "-exec", "-execdir")
			dir := ""
			if len(a) > 0 {
				dir = a[0]
			}
			if isCachePath(dir) || isCachePath(strings.Join(rest, " ")) {
				return Meaning{Action: forensics.ActionCacheClear, Target: dir}
			}
			return Meaning{Action: forensics.ActionCleanup, Target: dir}
		}
		return look
	case "truncate", "logrotate":
		return Meaning{Action: forensics.ActionCleanup, Target: strings.Join(cmdArgs(rest, "-s", "--size", "-r"), " ")}
	case "journalctl":
		if cmdOpt(rest, "--vacuum-size", "--vacuum-time", "--vacuum-files", "--rotate", "--flush") {
			return Meaning{Action: forensics.ActionCleanup, Target: "journal"}
		}
		return look
	case "apt-get", "apt", "yum", "dnf":
		if len(rest) > 0 && (rest[0] == "clean" || rest[0] == "autoclean" || rest[0] == "autoremove") {
			return Meaning{Action: forensics.ActionCleanup, Target: name + " " + rest[0]}
		}
		return other
	case "pip", "pip3", "conda", "uv":
		if len(rest) >= 2 && rest[0] == "cache" && (rest[1] == "purge" || rest[1] == "remove" || rest[1] == "clean") || len(rest) > 0 && rest[0] == "clean" {
			return Meaning{Action: forensics.ActionCacheClear, Target: name + " cache"}
		}
		if len(rest) > 0 && (rest[0] == "list" || rest[0] == "show" || rest[0] == "freeze") {
			return look
		}
		return other
	case "huggingface-cli", "hf":
		if len(rest) > 0 {
			switch rest[0] {
			case "download":
				a := cmdArgs(rest[1:], "--revision", "--local-dir", "--cache-dir", "--include", "--exclude", "--repo-type", "--token")
				t := ""
				if len(a) > 0 {
					t = a[0]
				}
				return Meaning{Action: forensics.ActionModelRedownload, Target: t}
			case "delete-cache":
				return Meaning{Action: forensics.ActionCacheClear, Target: "huggingface cache"}
			case "scan-cache", "whoami", "env":
				return look
			}
		}
		return other
	case "kill", "pkill", "killall", "skill":
		if cmdOpt(rest, "-l", "-0") {
			return look
		}
		return Meaning{Action: forensics.ActionKillProcess, Target: strings.Join(cmdArgs(rest, "-s", "-n", "-u", "-U", "-g", "-t"), " ")}
	case "fuser":
		if cmdOpt(rest, "-k", "--kill") || hasKillFlag(rest) {
			return Meaning{Action: forensics.ActionKillProcess, Target: strings.Join(cmdArgs(rest), " ")}
		}
		return look
	case "sed", "perl":
		if cmdOpt(rest, "-i", "--in-place") || hasPrefixOpt(rest, "-i") {
			return editFiles(cmdArgs(rest, "-e", "-f"))
		}
		return look
	case "vim", "vi", "nvim", "nano", "emacs", "ed", "pico", "mcedit", "sudoedit":
		return editFiles(cmdArgs(rest, "-c", "-u"))
	case "cp", "mv", "install", "ln", "rsync", "scp":
		a := cmdArgs(rest, "-t", "--target-directory", "-m", "-o", "-g", "-e")
		if len(a) >= 2 && isConfigPath(a[len(a)-1]) {
			return Meaning{Action: forensics.ActionConfigChange, Target: a[len(a)-1]}
		}
		return other
	case "nft", "iptables", "ip6tables", "iptables-nft", "ufw", "fail2ban-client", "firewall-cmd":
		return firewallCmd(name, rest)
	case "sysctl":
		if cmdOpt(rest, "-w", "--write", "-p", "--load", "--system") {
			return Meaning{Action: forensics.ActionConfigChange, Target: strings.Join(cmdArgs(rest), " ")}
		}
		for _, a := range rest {
			if strings.Contains(a, "=") {
				return Meaning{Action: forensics.ActionConfigChange, Target: a}
			}
		}
		return look
	case "curl", "wget", "http", "https", "xh":
		return httpCall(name, rest)
	case "tee":
		for _, f := range cmdArgs(rest) {
			switch {
			case strings.HasPrefix(f, "/proc/sys/vm/drop_caches"):
				return Meaning{Action: forensics.ActionCacheClear, Target: f}
			case strings.HasPrefix(f, "/proc/sys/") || strings.HasPrefix(f, "/sys/") || isConfigPath(f):
				return Meaning{Action: forensics.ActionConfigChange, Target: f}
			}
		}
		return look
	case "sync":
		return look
	case "watch":
		return recurse(watchCommand(rest))
	case "xargs":
		a := rest
		for len(a) > 0 && strings.HasPrefix(a[0], "-") {
			opt := a[0]
			a = a[1:]
			if (opt == "-n" || opt == "-I" || opt == "-P" || opt == "-L" || opt == "-d" || opt == "-s" || opt == "-E") && len(a) > 0 {
				a = a[1:]
			}
		}
		if len(a) == 0 {
			return look // xargs echo
		}
		return recurse(a)
	case "bash", "sh", "zsh", "dash", "ksh":
		if i := wordIndex(rest, "-c"); i >= 0 && i+1 < len(rest) {
			return recurse([]string{rest[i+1]})
		}
		if i := indexOfPrefix(rest, "-"); i < 0 && len(rest) > 0 {
			return other // runs a script
		}
		return look // an interactive shell
	case "ssh":
		a := cmdArgs(rest, "-i", "-p", "-l", "-o", "-J", "-F", "-L", "-R", "-D", "-W", "-b", "-c", "-E", "-m", "-O", "-Q", "-S", "-w", "-B", "-e", "-I")
		if len(a) == 0 {
			return look
		}
		if len(a) == 1 {
			return Meaning{Action: forensics.ActionLookOnly, Target: a[0]} // a login
		}
		m := recurse(a[1:])
		if m.Target == "" {
			m.Target = a[0]
		}
		return m
	case "git":
		if len(rest) > 0 {
			switch rest[0] {
			case "status", "log", "diff", "show", "blame", "branch", "remote", "describe", "rev-parse", "grep", "fetch":
				return look
			}
		}
		return other
	case "make":
		return other
	case "for", "select", "case", "done", "fi", "esac", "}", "function":
		return look // loop and block headers run nothing themselves
	case "mkdir", "touch", "chmod", "chown", "export", "unset", "set", "source", ".":
		return other
	}
	if lookOnlyTools[name] {
		return look
	}
	return other
}

// watchCommand returns the command words of `watch [options] command`.
func watchCommand(w []string) []string {
	for len(w) > 0 && strings.HasPrefix(w[0], "-") {
		opt := w[0]
		w = w[1:]
		if (opt == "-n" || opt == "--interval" || opt == "-q" || opt == "--equexit") && len(w) > 0 {
			w = w[1:]
		}
	}
	return w
}

func hasKillFlag(w []string) bool {
	for _, a := range w {
		if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.Contains(a, "k") {
			return true
		}
	}
	return false
}

func hasPrefixOpt(w []string, p string) bool {
	for _, a := range w {
		if strings.HasPrefix(a, p) {
			return true
		}
	}
	return false
}

func hasWordArg(w []string, s string) bool {
	for _, a := range w {
		if a == s || path.Base(a) == s {
			return true
		}
	}
	return false
}

func wordIndex(w []string, s string) int {
	for i, a := range w {
		if a == s {
			return i
		}
	}
	return -1
}

func indexOfPrefix(w []string, p string) int {
	for i, a := range w {
		if strings.HasPrefix(a, p) {
			return i
		}
	}
	return -1
}

// shellJoin joins words back into a command line, quoting where needed.
func shellJoin(w []string) string {
	var b strings.Builder
	for i, s := range w {
		if i > 0 {
			b.WriteByte(' ')
		}
		if s == "" || strings.ContainsAny(s, " \t\n'\"\\|&;<>()$`#*?") {
			b.WriteByte('\'')
			b.WriteString(strings.ReplaceAll(s, "'", `'\''`))
			b.WriteByte('\'')
			continue
		}
		b.WriteString(s)
	}
	return b.String()
}

func editFiles(files []string) Meaning {
	for _, f := range files {
		if isConfigPath(f) {
			return Meaning{Action: forensics.ActionConfigChange, Target: f}
		}
	}
	return Meaning{Action: forensics.ActionOther, Target: strings.Join(files, " ")}
}

// unitVerb classifies "VERB UNIT" of systemctl, service and supervisorctl.
func unitVerb(verb, unit string) Meaning {
	switch verb {
	case "restart", "try-restart", "reload-or-restart", "try-reload-or-restart", "condrestart", "force-reload", "start", "stop", "reload":
		t := unit
		if t == "" {
			t = "all"
		}
		m := Meaning{Action: forensics.ActionRestart, Target: t, Service: unit}
		if verb == "reload" {
			m.Target = unit + " (reload)"
		}
		return m
	case "kill":
		return Meaning{Action: forensics.ActionKillProcess, Target: unit, Service: unit}
	case "status", "show", "is-active", "is-failed", "is-enabled", "list-units", "list-unit-files", "cat", "list-timers", "avail", "tail", "pid", "list-dependencies":
		return Meaning{Action: forensics.ActionLookOnly, Target: unit, Service: unit}
	case "edit", "set-property", "daemon-reload", "enable", "disable", "mask", "unmask":
		return Meaning{Action: forensics.ActionConfigChange, Target: strings.TrimSpace(verb + " " + unit), Service: unit}
	}
	return Meaning{Action: forensics.ActionOther}
}

func systemctl(rest []string) Meaning {
	a := cmdArgs(rest, "-H", "--host", "-M", "--machine", "-p", "--property", "-t", "--type", "-s", "--signal", "-n", "--lines", "-o", "--output", "--state")
	if len(a) == 0 {
		return Meaning{Action: forensics.ActionLookOnly}
	}
	unit := ""
	if len(a) > 1 {
		unit = strings.TrimSuffix(strings.Join(a[1:], " "), ".service")
	}
	m := unitVerb(a[0], unit)
	if len(a) > 1 {
		m.Service = strings.TrimSuffix(a[1], ".service")
	}
	return m
}

// composeGlobal are docker-compose's options before the subcommand that
// take a value.
var composeGlobal = []string{"-f", "--file", "-p", "--project-name", "--env-file", "--profile", "--project-directory", "--ansi", "--log-level", "-H", "--host", "--context", "-c", "--parallel", "--progress"}

func skipGlobal(w []string, takesValue []string) []string {
	for len(w) > 0 && strings.HasPrefix(w[0], "-") {
		opt := w[0]
		w = w[1:]
		if strings.Contains(opt, "=") {
			continue
		}
		for _, o := range takesValue {
			if opt == o && len(w) > 0 {
				w = w[1:]
				break
			}
		}
	}
	return w
}

// compose classifies docker-compose (v1) and docker compose (v2) commands.
func composeCmd(rest []string, depth int, recurse func([]string) Meaning) Meaning {
	w := skipGlobal(rest, composeGlobal)
	if len(w) == 0 {
		return Meaning{Action: forensics.ActionLookOnly}
	}
	sub, opts := w[0], w[1:]
	svcs := cmdArgs(opts, "-t", "--timeout", "--scale", "-e", "--env", "-u", "--user", "-w", "--workdir", "--index", "-s", "--signal", "--tail", "-n", "--since", "--until", "--format", "--filter", "--status", "--wait-timeout", "--pull", "--exit-code-from")
	target := strings.Join(svcs, " ")
	first := ""
	if len(svcs) > 0 {
		first = svcs[0]
	} else {
		target = "all"
	}
	switch sub {
	case "restart", "stop", "start", "down", "pause", "unpause":
		return Meaning{Action: forensics.ActionRestart, Target: target, Service: first}
	case "up", "create":
		if s := scaleArg(opts); s != "" {
			svc, _, _ := strings.Cut(s, "=")
			return Meaning{Action: forensics.ActionScale, Target: s, Service: svc}
		}
		return Meaning{Action: forensics.ActionRestart, Target: target, Service: first}
	case "scale":
		t := strings.Join(svcs, " ")
		svc, _, _ := strings.Cut(first, "=")
		return Meaning{Action: forensics.ActionScale, Target: t, Service: svc}
	case "kill":
		return Meaning{Action: forensics.ActionKillProcess, Target: target, Service: first}
	case "rm":
		return Meaning{Action: forensics.ActionCleanup, Target: target, Service: first}
	case "ps", "logs", "top", "config", "images", "port", "events", "ls", "version", "stats", "ps -a", "convert", "watch":
		m := Meaning{Action: forensics.ActionLookOnly}
		if first != "" {
			m.Target, m.Service = target, first
		}
		return m
	case "exec", "run":
		a := skipGlobal(opts, []string{"-e", "--env", "-u", "--user", "-w", "--workdir", "--index", "--name", "-v", "--volume", "-p", "--publish", "--entrypoint", "-l", "--label"})
		if len(a) < 2 {
			return Meaning{Action: forensics.ActionLookOnly, Target: strings.Join(a, " ")}
		}
		m := recurse(a[1:])
		if m.Service == "" && isChange(m.Action) {
			m.Service = a[0]
		}
		return m
	}
	return Meaning{Action: forensics.ActionOther}
}

func scaleArg(w []string) string {
	var out []string
	for i, a := range w {
		if a == "--scale" && i+1 < len(w) {
			out = append(out, w[i+1])
		} else if v, ok := strings.CutPrefix(a, "--scale="); ok {
			out = append(out, v)
		}
	}
	return strings.Join(out, " ")
}

func dockerCmd(rest []string, depth int, recurse func([]string) Meaning) Meaning {
	w := skipGlobal(rest, []string{"-H", "--host", "-c", "--context", "--config", "-l", "--log-level"})
	if len(w) == 0 {
		return Meaning{Action: forensics.ActionLookOnly}
	}
	sub, opts := w[0], w[1:]
	// docker container restart, docker image prune ...: management commands
	if (sub == "container" || sub == "image" || sub == "volume" || sub == "network" || sub == "builder" || sub == "system" || sub == "buildx") && len(opts) > 0 {
		if opts[0] == "prune" || (sub == "image" && opts[0] == "rm") || (sub == "volume" && opts[0] == "rm") {
			return Meaning{Action: forensics.ActionCleanup, Target: "docker " + sub + " " + opts[0]}
		}
		if sub == "system" {
			if opts[0] == "df" || opts[0] == "info" || opts[0] == "events" {
				return Meaning{Action: forensics.ActionLookOnly}
			}
			return Meaning{Action: forensics.ActionOther}
		}
		if sub == "container" {
			sub, opts = opts[0], opts[1:]
		} else {
			switch opts[0] {
			case "ls", "inspect", "history":
				return Meaning{Action: forensics.ActionLookOnly}
			}
			return Meaning{Action: forensics.ActionOther}
		}
	}
	names := cmdArgs(opts, "-t", "--time", "-s", "--signal", "--tail", "-n", "--since", "--until", "--format", "-f", "--filter")
	target := strings.Join(names, " ")
	first := ""
	if len(names) > 0 {
		first = names[0]
	}
	switch sub {
	case "compose":
		return composeCmd(opts, depth, recurse)
	case "restart", "stop", "start", "pause", "unpause":
		return Meaning{Action: forensics.ActionRestart, Target: target, Service: first}
	case "kill":
		return Meaning{Action: forensics.ActionKillProcess, Target: target, Service: first}
	case "rm":
		return Meaning{Action: forensics.ActionCleanup, Target: target, Service: first}
	case "rmi":
		return Meaning{Action: forensics.ActionCleanup, Target: target}
	case "update":
		return Meaning{Action: forensics.ActionConfigChange, Target: "docker update " + strings.Join(opts, " "), Service: lastWord(names)}
	case "ps", "logs", "stats", "inspect", "images", "top", "info", "version", "events", "port", "diff", "history", "ls", "search", "stack", "node":
		m := Meaning{Action: forensics.ActionLookOnly}
		if first != "" && sub != "ps" && sub != "images" {
			m.Target, m.Service = target, first
		}
		return m
	case "exec":
		a := skipGlobal(opts, []string{"-e", "--env", "-u", "--user", "-w", "--workdir", "--env-file", "--detach-keys"})
		if len(a) < 2 {
			return Meaning{Action: forensics.ActionLookOnly}
		}
		m := recurse(a[1:])
		if m.Service == "" && isChange(m.Action) {
			m.Service = a[0]
		}
		return m
	case "service":
		if len(opts) > 0 && opts[0] == "scale" {
			t := strings.Join(opts[1:], " ")
			svc, _, _ := strings.Cut(t, "=")
			return Meaning{Action: forensics.ActionScale, Target: t, Service: svc}
		}
		if len(opts) > 0 && (opts[0] == "ls" || opts[0] == "ps" || opts[0] == "logs" || opts[0] == "inspect") {
			return Meaning{Action: forensics.ActionLookOnly}
		}
		return Meaning{Action: forensics.ActionOther}
	}
	return Meaning{Action: forensics.ActionOther}
}

func lastWord(w []string) string {
	if len(w) == 0 {
		return ""
	}
	return w[len(w)-1]
}

func kubectl(rest []string, recurse func([]string) Meaning) Meaning {
	w := skipGlobal(rest, []string{"-n", "--namespace", "--context", "--kubeconfig", "-c", "--container", "-l", "--selector"})
	if len(w) == 0 {
		return Meaning{Action: forensics.ActionLookOnly}
	}
	a := cmdArgs(w[1:], "-n", "--namespace", "--replicas", "-c", "--container", "-l", "--selector", "-o", "--output", "--tail", "--since")
	switch w[0] {
	case "rollout":
		if len(a) > 0 && a[0] == "restart" {
			return Meaning{Action: forensics.ActionRestart, Target: strings.Join(a[1:], " "), Service: lastWord(a)}
		}
		if len(a) > 0 && (a[0] == "status" || a[0] == "history") {
			return Meaning{Action: forensics.ActionLookOnly}
		}
		return Meaning{Action: forensics.ActionOther}
	case "scale":
		return Meaning{Action: forensics.ActionScale, Target: strings.Join(w[1:], " "), Service: lastWord(a)}
	case "delete":
		if len(a) > 0 && (strings.HasPrefix(a[0], "pod") || strings.HasPrefix(a[0], "po/") || a[0] == "po") {
			return Meaning{Action: forensics.ActionRestart, Target: strings.Join(a, " "), Service: lastWord(a)}
		}
		return Meaning{Action: forensics.ActionOther}
	case "get", "describe", "logs", "top", "explain", "version", "cluster-info", "api-resources", "events", "auth":
		return Meaning{Action: forensics.ActionLookOnly}
	case "edit", "apply", "set", "patch", "replace", "annotate", "label", "autoscale":
		return Meaning{Action: forensics.ActionConfigChange, Target: strings.Join(w[1:], " ")}
	case "exec":
		if i := wordIndex(w, "--"); i >= 0 && i+1 < len(w) {
			return recurse(w[i+1:])
		}
		return Meaning{Action: forensics.ActionLookOnly}
	}
	return Meaning{Action: forensics.ActionOther}
}

var configSet = regexp.MustCompile(`^([A-Za-z0-9_.\-]+)=(.*)$`)

// vidBench classifies the service's own CLI.
func vidBench(rest []string) Meaning {
	a := cmdArgs(rest, "--config", "-c", "--url", "--token", "--format", "-o")
	if len(a) == 0 {
		return Meaning{Action: forensics.ActionLookOnly}
	}
	sub := strings.ToLower(strings.ReplaceAll(a[0], "_", "-"))
	more := a[1:]
	switch sub {
	case "config", "configure", "settings":
		if len(more) == 0 {
			return Meaning{Action: forensics.ActionLookOnly}
		}
		switch more[0] {
		case "set", "update", "put", "unset", "reset", "edit", "apply", "load":
			kv := more[1:]
			t := strings.Join(kv, " ")
			if len(kv) == 2 && !strings.Contains(kv[0], "=") {
				t = kv[0] + "=" + kv[1]
			} else if len(kv) == 1 {
				if m := configSet.FindStringSubmatch(kv[0]); m != nil {
					t = m[1] + "=" + m[2]
				}
			}
			if more[0] == "unset" || more[0] == "reset" {
				t = more[0] + " " + t
			}
			return Meaning{Action: forensics.ActionConfigChange, Target: strings.TrimSpace(t)}
		case "get", "show", "list", "dump", "diff", "validate", "view":
			return Meaning{Action: forensics.ActionLookOnly, Target: strings.Join(more[1:], " ")}
		}
		// vid-bench config max_batch_size=1
		if m := configSet.FindStringSubmatch(more[0]); m != nil {
			return Meaning{Action: forensics.ActionConfigChange, Target: m[1] + "=" + m[2]}
		}
		return Meaning{Action: forensics.ActionOther}
	case "flags", "flag", "feature", "features", "feature-flags", "feature-flag", "toggle", "toggles":
		// vid-bench flags set report_export off; flags disable report_export
		if len(more) == 0 {
			return Meaning{Action: forensics.ActionLookOnly, Target: "feature flags"}
		}
		verb := strings.ToLower(more[0])
		args := cmdArgs(more[1:], "--reason", "-m", "--message", "--env", "-e", "--ttl")
		switch verb {
		case "list", "ls", "get", "show", "status", "describe":
			return Meaning{Action: forensics.ActionLookOnly, Target: "feature flags"}
		case "set", "update", "put":
			if len(args) >= 2 {
				return Meaning{Action: forensics.ActionConfigChange, Target: "flag " + args[0] + "=" + args[1]}
			}
			if len(args) == 1 {
				return Meaning{Action: forensics.ActionConfigChange, Target: "flag " + args[0]}
			}
		case "enable", "on", "disable", "off", "unset", "reset", "toggle", "rollout", "kill":
			if len(args) >= 1 {
				return Meaning{Action: forensics.ActionConfigChange, Target: "flag " + args[0] + " " + verb}
			}
		}
		return Meaning{Action: forensics.ActionOther}
	case "maintenance-mode", "maintenance", "maint", "maintenance-on", "maintenance-off", "drain":
		state := ""
		for _, x := range append(more, sub) {
			switch strings.ToLower(x) {
			case "enable", "enabled", "on", "true", "1", "start", "maintenance-on", "drain":
				state = "enable"
			case "disable", "disabled", "off", "false", "0", "stop", "maintenance-off", "undrain":
				state = "disable"
			case "status", "show", "get":
				return Meaning{Action: forensics.ActionLookOnly, Target: "maintenance-mode status"}
			}
			if state != "" {
				break
			}
		}
		if state == "" && cmdOpt(rest, "--enable", "--on") {
			state = "enable"
		} else if state == "" && cmdOpt(rest, "--disable", "--off") {
			state = "disable"
		}
		if state == "" {
			return Meaning{Action: forensics.ActionLookOnly, Target: "maintenance-mode status"}
		}
		return Meaning{Action: forensics.ActionMaintenanceMode, Target: state}
	case "download-model", "download", "redownload-model", "fetch-model", "pull-model":
		t := ""
		if len(more) > 0 {
			t = more[0]
		}
		return Meaning{Action: forensics.ActionModelRedownload, Target: t}
	case "model", "models":
		if len(more) > 0 {
			switch more[0] {
			case "download", "redownload", "fetch", "pull":
				return Meaning{Action: forensics.ActionModelRedownload, Target: strings.Join(more[1:], " ")}
			case "clear-cache", "purge":
				return Meaning{Action: forensics.ActionCacheClear, Target: strings.Join(more[1:], " ")}
			}
		}
		return Meaning{Action: forensics.ActionLookOnly}
	case "cache", "clear-cache", "cache-clear":
		if sub != "cache" || len(more) > 0 && (more[0] == "clear" || more[0] == "purge" || more[0] == "rm" || more[0] == "flush") {
			return Meaning{Action: forensics.ActionCacheClear, Target: "vid-bench cache"}
		}
		return Meaning{Action: forensics.ActionLookOnly}
	case "restart", "reload":
		return Meaning{Action: forensics.ActionRestart, Target: "vid-bench", Service: "vid-bench"}
	case "scale", "workers":
		if len(more) > 0 && (more[0] == "list" || more[0] == "show") {
			return Meaning{Action: forensics.ActionLookOnly}
		}
		return Meaning{Action: forensics.ActionScale, Target: strings.Join(more, " ")}
	case "runs", "run", "benchmarks":
		if len(more) > 0 {
			switch more[0] {
			case "cancel", "kill", "delete", "requeue", "retry", "purge":
				return Meaning{Action: forensics.ActionOther, Target: strings.Join(more, " ")}
			}
		}
		return Meaning{Action: forensics.ActionLookOnly}
	case "cancel-run", "requeue", "purge-queue", "refresh-registry", "submit", "migrate":
		return Meaning{Action: forensics.ActionOther}
	case "verify-model", "test-model", "list-models", "metrics", "health-check", "health", "gpus", "gpu", "status", "test",
		"version", "--version", "info", "queue", "logs", "users", "whoami", "list", "show", "get", "results", "leaderboard":
		return Meaning{Action: forensics.ActionLookOnly}
	}
	return Meaning{Action: forensics.ActionOther}
}

// ActionDBMaintenance is forensics.ActionDBMaintenance, kept for the
// package's tests.
const ActionDBMaintenance = forensics.ActionDBMaintenance

var (
	sqlMaint  = regexp.MustCompile(`(?i)^\s*(create\s+(unique\s+)?index|drop\s+index|alter\s+index|reindex|vacuum|analy[sz]e|cluster|refresh\s+materialized\s+view)\b`)
	sqlKill   = regexp.MustCompile(`(?i)\bpg_(terminate|cancel)_backend\s*\(`)
	sqlConfig = regexp.MustCompile(`(?i)\b(alter\s+system|alter\s+(database|role|user)\s+\S+\s+set|pg_reload_conf\s*\()`)
	sqlWrite  = regexp.MustCompile(`(?i)^\s*(insert|update|delete|truncate|drop|create|alter|vacuum|analyze|reindex|cluster|grant|revoke|refresh|lock)\b`)
	sqlRead   = regexp.MustCompile(`(?i)^\s*(select|show|explain|with|table|values|\\)`)
)

// classifySQL tells what an SQL text does.
func classifySQL(sql string) Meaning {
	switch {
	case sqlKill.MatchString(sql):
		return Meaning{Action: forensics.ActionKillQuery, Target: oneLine(sql, 200)}
	case sqlConfig.MatchString(sql):
		return Meaning{Action: forensics.ActionConfigChange, Target: oneLine(sql, 200)}
	case sqlMaint.MatchString(sql):
		return Meaning{Action: ActionDBMaintenance, Target: oneLine(sql, 200)}
	case sqlWrite.MatchString(sql):
		// EXPLAIN ANALYZE is a read; data changes are something else
		// than a look
		return Meaning{Action: forensics.ActionOther, Target: oneLine(sql, 200)}
	case sqlRead.MatchString(sql):
		return Meaning{Action: forensics.ActionLookOnly}
	}
	return Meaning{Action: forensics.ActionOther, Target: oneLine(sql, 200)}
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n]
	}
	return s
}

// classifyPsqlInput tells what a line typed at psql's prompt does: SQL,
// or a backslash command (\\! runs a shell command; \\i and \\ir run a
// file; the others, \\d, \\x, \\watch, \\q, look or set up the client).
func classifyPsqlInput(in string) Meaning {
	t := strings.TrimSpace(in)
	if !strings.HasPrefix(t, `\`) {
		return classifySQL(t)
	}
	f := strings.Fields(t)
	switch f[0] {
	case `\!`:
		return Classify(strings.TrimSpace(strings.TrimPrefix(t, `\!`)))
	case `\i`, `\ir`, `\include`, `\include_relative`:
		m := Meaning{Action: forensics.ActionOther}
		if len(f) > 1 {
			m.Target = f[1]
		}
		return m
	}
	return Meaning{Action: forensics.ActionLookOnly}
}

func psql(rest []string) Meaning {
	var sqls []string
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case (a == "-c" || a == "--command") && i+1 < len(rest):
			sqls = append(sqls, rest[i+1])
			i++
		case strings.HasPrefix(a, "--command="):
			sqls = append(sqls, strings.TrimPrefix(a, "--command="))
		case strings.HasPrefix(a, "-c") && len(a) > 2:
			sqls = append(sqls, a[2:])
		case (a == "-f" || a == "--file") && i+1 < len(rest):
			return Meaning{Action: forensics.ActionOther, Target: rest[i+1]}
		}
	}
	if len(sqls) == 0 {
		return Meaning{Action: forensics.ActionLookOnly} // an interactive session
	}
	ms := make([]Meaning, 0, len(sqls))
	for _, s := range sqls {
		ms = append(ms, classifySQL(s))
	}
	return combineMeanings(ms, true)
}

func redisCli(rest []string) Meaning {
	a := cmdArgs(rest, "-h", "-p", "-a", "-n", "-u", "--user", "--pass", "-s", "-r", "-i", "--tls", "--cacert")
	if len(a) == 0 {
		return Meaning{Action: forensics.ActionLookOnly}
	}
	cmd := strings.ToUpper(a[0])
	switch cmd {
	case "FLUSHALL", "FLUSHDB":
		return Meaning{Action: forensics.ActionCacheClear, Target: "redis " + strings.ToLower(cmd)}
	case "CONFIG":
		if len(a) > 1 && strings.EqualFold(a[1], "set") {
			return Meaning{Action: forensics.ActionConfigChange, Target: "redis " + strings.Join(a[2:], " ")}
		}
		return Meaning{Action: forensics.ActionLookOnly}
	case "DEL", "UNLINK", "LTRIM", "LPOP", "RPOP", "LREM", "SREM", "ZREM", "HDEL", "EXPIRE", "XTRIM":
		return Meaning{Action: forensics.ActionCleanup, Target: "redis " + strings.Join(a, " ")}
	case "CLIENT":
		if len(a) > 1 && strings.EqualFold(a[1], "kill") {
			return Meaning{Action: forensics.ActionKillQuery, Target: "redis " + strings.Join(a, " ")}
		}
		return Meaning{Action: forensics.ActionLookOnly}
	case "SHUTDOWN":
		return Meaning{Action: forensics.ActionRestart, Target: "redis", Service: "redis"}
	case "SET", "LPUSH", "RPUSH", "HSET", "SADD", "ZADD", "XADD", "INCR", "DECR", "MSET", "RENAME", "PUBLISH", "EVAL":
		return Meaning{Action: forensics.ActionOther, Target: "redis " + strings.Join(a, " ")}
	}
	return Meaning{Action: forensics.ActionLookOnly}
}

// httpCall classifies curl and wget calls by method and path: the
// service's admin API can switch maintenance mode or change the config.
func httpCall(name string, rest []string) Meaning {
	method := "GET"
	var data []string
	var urls []string
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		next := func() string {
			if i+1 < len(rest) {
				i++
				return rest[i]
			}
			return ""
		}
		switch {
		case a == "-X" || a == "--request" || a == "--method":
			method = strings.ToUpper(next())
		case strings.HasPrefix(a, "-X") && len(a) > 2:
			method = strings.ToUpper(a[2:])
		case strings.HasPrefix(a, "--method="):
			method = strings.ToUpper(strings.TrimPrefix(a, "--method="))
		case a == "-d" || a == "--data" || a == "--data-raw" || a == "--data-binary" || a == "--json" || a == "--post-data" || a == "-F" || a == "--form":
			data = append(data, next())
			if method == "GET" {
				method = "POST"
			}
		case strings.HasPrefix(a, "--post-data="):
			data = append(data, strings.TrimPrefix(a, "--post-data="))
			if method == "GET" {
				method = "POST"
			}
		case a == "-H" || a == "--header" || a == "-o" || a == "--output" || a == "-u" || a == "--user" || a == "-m" || a == "--max-time" ||
			a == "-A" || a == "--user-agent" || a == "-w" || a == "--write-out" || a == "-O" || a == "--connect-timeout" || a == "-e" || a == "-b" || a == "-c" || a == "--retry":
			next()
		case strings.HasPrefix(a, "-"):
		case name == "http" || name == "https" || name == "xh":
			switch strings.ToUpper(a) {
			case "GET", "POST", "PUT", "PATCH", "DELETE":
				method = strings.ToUpper(a)
				continue
			}
			if strings.Contains(a, "/") || strings.Contains(a, ":") {
				urls = append(urls, a)
			} else {
				data = append(data, a)
			}
		default:
			urls = append(urls, a)
		}
	}
	u := strings.ToLower(strings.Join(urls, " "))
	d := strings.ToLower(strings.Join(data, " "))
	if method == "GET" || method == "HEAD" || method == "OPTIONS" {
		return Meaning{Action: forensics.ActionLookOnly, Target: strings.Join(urls, " ")}
	}
	switch {
	case strings.Contains(u, "maintenance"):
		state := "enable"
		if method == "DELETE" || strings.Contains(d, "false") || strings.Contains(d, "disable") || strings.Contains(d, "off") ||
			strings.Contains(u, "disable") || strings.Contains(u, "off") {
			state = "disable"
		}
		return Meaning{Action: forensics.ActionMaintenanceMode, Target: state}
	case strings.Contains(u, "/config") || strings.Contains(u, "/settings"):
		t := strings.Join(data, " ")
		if t == "" {
			t = strings.Join(urls, " ")
		}
		return Meaning{Action: forensics.ActionConfigChange, Target: oneLine(t, 200)}
	case strings.Contains(u, "cache"):
		return Meaning{Action: forensics.ActionCacheClear, Target: strings.Join(urls, " ")}
	case strings.Contains(u, "/restart") || strings.Contains(u, "/reload"):
		return Meaning{Action: forensics.ActionRestart, Target: strings.Join(urls, " ")}
	case strings.Contains(u, "/scale"):
		return Meaning{Action: forensics.ActionScale, Target: strings.Join(urls, " ")}
	}
	return Meaning{Action: forensics.ActionOther, Target: strings.Join(urls, " ")}
}

// firewallCmd: a rule or ban added to the host's firewall (nft add
// element/rule, iptables -A/-I ... -j DROP, ufw deny, fail2ban-client set
// JAIL banip, firewall-cmd --add-rich-rule) is a configuration change that
// blocks traffic, a mitigation of an attack or a flood; listing the rules
// is a look.
func firewallCmd(name string, rest []string) Meaning {
	target := strings.TrimSpace(name + " " + strings.Join(rest, " "))
	for _, a := range rest {
		switch strings.ToLower(a) {
		case "list", "-l", "--list", "-s", "--list-rules", "status", "show", "get", "--list-all", "--state", "-n", "--numeric", "monitor", "banned":
			return Meaning{Action: forensics.ActionLookOnly, Target: target}
		case "add", "insert", "create", "replace", "-a", "--append", "-i", "--insert", "-r", "--replace", "deny", "reject", "limit", "banip",
			"--add-rich-rule", "--add-source", "--add-port", "--remove-port", "delete", "flush", "-d", "--delete", "-f", "--flush", "allow":
			return Meaning{Action: forensics.ActionConfigChange, Target: oneLine(target, 200)}
		}
	}
	return Meaning{Action: forensics.ActionOther, Target: target}
}
