package forensics

import "time"

// What the responders did and saw: the commands of their shell histories
// and terminal sessions, and the values in the command outputs they saved
// (nvidia-smi, df, free, docker-compose ps, docker stats).

// The meanings a command can have (Command.Action), as the post-incident
// review asks "what did we do": an action that changes the system, or a
// look that does not.
const (
	ActionRestart         = "restart"          // docker-compose restart/stop/start/up/down, systemctl restart, reboot, GPU reset
	ActionConfigChange    = "config_change"    // vid-bench config set, editing a config file, ALTER SYSTEM, redis CONFIG SET
	ActionCacheClear      = "cache_clear"      // rm of a model/HF cache, torch.cuda.empty_cache(), redis FLUSHALL, drop_caches
	ActionCleanup         = "cleanup"          // docker system prune, rm of temp files or logs, find -delete, journal vacuum
	ActionKillQuery       = "kill_query"       // pg_terminate_backend, pg_cancel_backend
	ActionKillProcess     = "kill_process"     // kill, pkill, killall, fuser -k, docker kill
	ActionMaintenanceMode = "maintenance_mode" // vid-bench maintenance-mode enable|disable
	ActionModelRedownload = "model_redownload" // vid-bench download-model --force, huggingface-cli download
	ActionScale           = "scale"            // docker-compose up --scale, docker-compose scale, kubectl scale
	ActionDBMaintenance   = "db_maintenance"   // CREATE/DROP/ALTER INDEX, REINDEX, VACUUM, ANALYZE, CLUSTER, REFRESH MATERIALIZED VIEW
	ActionLookOnly        = "look_only"        // changes nothing: nvidia-smi, df -h, docker-compose logs, grep, SELECT ...
	ActionOther           = "other"            // not recognised
)

// Command is one command a responder ran: an entry of a shell history or a
// command typed in a `script` session.
type Command struct {
	TS      time.Time // zero when the history has no times (plain history)
	TSExact bool      // false when TS is only a lower bound (a script session's start, a date seen before it)
	LineNo  int64     // line of the command's first line: the order within the file
	Lines   int       // physical lines: the command's (multi-line commands) and, in a session log, its output
	Host    string
	User    string
	Shell   string  // bash, zsh, sh (plain history), script
	Command string  // the command line as typed (a multi-line command keeps its newlines)
	Action  string  // one of the Action* constants: what the command does, by meaning
	Target  string  // what it acts on: a service, a setting (max_batch_size=1), a path, enable/disable
	Service string  // the service or unit it restarts or scales, when it names one
	Elapsed float64 // seconds the command ran (zsh extended history); negative when unknown
	Output  string  // its output, in a session log (cut to a bound; attrs.output_cut_bytes says how much was left out)
	Attrs   map[string]any
}

// Table implements Record.
func (*Command) Table() string { return "commands" }

// Capture is one value set read from a saved command output: one GPU, one
// GPU process, one mounted filesystem, the memory or swap line of free, one
// container of docker-compose ps or docker stats. Sizes are bytes.
type Capture struct {
	TS       time.Time // when the output was taken; zero when unknown
	TSSource string    // where TS comes from: output, date_line, file_name, session, none
	LineNo   int64
	Lines    int
	Host     string
	Tool     string // nvidia-smi, nvidia-smi-query, df, free, docker-compose-ps, docker-stats
	Kind     string // gpu, gpu_process, filesystem, memory, swap, container, container_stats
	Subject  string // GPU index, mount point, container name, Mem/Swap, pid
	GPU      int    // GPU index; -1 when not a GPU row
	PID      int64  // process id (gpu_process); 0 when none
	Name     string // GPU model, filesystem device, process name, image/service
	State    string // container state: running, exited, restarting, paused, created, dead, none
	Used     int64  // bytes; -1 when unknown
	Total    int64
	Free     int64
	Avail    int64
	UtilPct  float64 // GPU utilisation or container CPU %; negative when unknown
	UsePct   float64 // filesystem Use%, container MEM %; negative when unknown
	TempC    float64 // degrees Celsius; below -273 when unknown
	PowerW   float64 // watts drawn; negative when unknown
	Attrs    map[string]any
}

// Table implements Record.
func (*Capture) Table() string { return "captures" }

// NoCapture returns a Capture with every optional number marked unknown.
func NoCapture() Capture {
	return Capture{GPU: -1, Used: -1, Total: -1, Free: -1, Avail: -1, UtilPct: -1, UsePct: -1, TempC: -1000, PowerW: -1}
}
