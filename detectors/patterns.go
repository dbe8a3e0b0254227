package detectors

// The vocabulary detectors match, as RE2 patterns (case-insensitive).
// They follow the meaning of the evidence (FORMATS.md), not one exact
// wording: torch's old and new OOM messages, systemd's and compose's exit
// lines, PostgreSQL's server log, the API's own lifecycle lines.
const (
	patCUDAOOM = `(?i)(cuda[^\n]{0,40}out of memory|OutOfMemoryError|CUBLAS_STATUS_ALLOC_FAILED|cudaErrorMemoryAllocation|out of memory[^\n]{0,40}(gpu|cuda))`
	patRunFail = `(?i)\b(benchmark|run|job|inference|generation)\b[^\n]{0,80}\b(failed|timed out|timeout|aborted|errored)`
	// an unplanned exit: a crash, a kill, a non-zero status
	patCrash = `(?i)(fatal error|shutting down \(exit code [1-9]|exit(ed)? (with )?(code|status)[ =:]*[1-9]|code=(killed|dumped)|status=[1-9][0-9]*/|Failed with result|killed by the OOM killer|Main process exited, code=(killed|dumped)|exited with code [1-9]|segmentation fault|core dumped|Application shutdown failed)`
	// a start that failed: the process exits right after (uvicorn's
	// "Application startup failed. Exiting.", an app's "Startup failed",
	// systemd's "Failed to start", gunicorn's "Worker failed to boot")
	patStartFail = `(?i)(startup failed|failed to start|Worker failed to boot|start request repeated too quickly|exited prematurely|Back-off restarting failed)`
	// any exit or stop, planned or not
	patExit = `(?i)(shutting down|exiting|exited|Main process exited|Stopping |Stopped |Finished server process|terminated|killed process)`
	// a (re)start of the service
	patStart = `(?i)(starting vid-bench|vid-bench api v[0-9]|started server process|application startup complete|Started vid-bench|Scheduled restart job|Uvicorn running on|listening on (port|http))`
	// host memory exhaustion
	patHostOOM = `(?i)(Out of memory: Kill(ed)? process|invoked oom-killer|Memory cgroup out of memory|oom-kill|killed by the OOM killer|oom_reaper)`
	patDisk    = `(?i)(No space left on device|Errno 28|ENOSPC|disk (is )?full|could not extend file|filesystem .* full)`
	// a dependency refusing or dropping connections
	patDependency = `(?i)(connection refused|Errno 111|could not connect to server|Connection reset by peer|ConnectionError|OperationalError[^\n]{0,80}(connect|terminat)|Name or service not known|server closed the connection unexpectedly|timeout connecting to|Error 111 connecting)`
	patModelLoad  = `(?i)(checksum mismatch|sha256 mismatch|hash mismatch|corrupt(ed)? (model|weights|checkpoint|file)|failed to (load|download|fetch|initiali[sz]e) model|model[^\n]{0,60}(load(ing)?|download(ing)?|initiali[sz]ation) (failed|error|timed out)|timeout after [0-9]+ ?s? (initializing|loading|downloading) model|error (loading|downloading) model|download[^\n]{0,60}(HTTP [45][0-9][0-9]|status [45][0-9][0-9]|failed))`
	patXid        = `(?i)(NVRM: Xid|Xid \(PCI|GPU has fallen off the bus|uncorrectable ECC|double bit ECC|nvidia [0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f.]+: PCIe Bus Error[^\n]{0,40}Uncorrectable)`
	// a GPU still gone (the hardware's state, until a reset or reboot)
	patGPUGone = `(?i)(GPU is lost|GPU[^\n]{0,30}\b(is |was |been )?lost\b|Unable to determine the device handle|No devices were found|GPU[^\n]{0,30}not (found|accessible|responding))`
	// what a lost GPU does to the service: its work failing, probes failing
	patGPUImpact = `(?i)(CUDA error: (unspecified launch failure|unknown error|an illegal|uncorrectable|misaligned|launch timed out|no CUDA-capable|initialization error|GPU is lost|device-side)|GPU (probe|health ?check|self-?test)[^\n]{0,30}fail|(device|gpu|cuda:[0-9]+)[^\n]{0,30}quarantin|(probe|health ?check)[^\n]{0,20}fail[^\n]{0,30}(gpu|cuda))`
	patAuthFail  = `(?i)(authentication failed|invalid (api )?(token|key|credentials)|unauthori[sz]ed|password authentication failed|permission denied for|token (has )?expired|login failed)`
	patTooMany   = `(?i)(too many clients|remaining connection slots are reserved|connection pool (exhausted|is full|timeout)|QueuePool limit|max_connections)`
	patLockWait  = `(?i)(still waiting for [A-Za-z]*Lock|deadlock detected|lock timeout|canceling statement due to lock timeout|could not obtain lock)`
	patStmtTO    = `(?i)(canceling statement due to statement timeout|statement timeout|QueryCanceled)`
	patRunOK     = `(?i)\b(completed|finished|succeeded|done)\b[^\n]{0,120}model|model[^\n]{0,120}\b(completed|finished|succeeded)\b`
	patSlowStmt  = `(?i)duration: ([1-9][0-9]{3,}|[0-9]{5,})(\.[0-9]+)? ms`
)

// textPatterns lists every pattern detectors match against text records.
// The case classifies all records against all of them in one scan
// (Case.classify); a pattern not listed here cannot be matched that way.
// patRunOK is not listed: completed runs are ordinary traffic (tens of
// thousands of records in a busy case), and only model_load asks for them,
// within the stretches where a model failed to load (Case.countRunsOK).
var textPatterns = []string{
	patCUDAOOM, patRunFail, patCrash, patStartFail, patExit, patStart, patHostOOM, patDisk, patDependency,
	patModelLoad, patXid, patGPUGone, patGPUImpact, patAuthFail, patTooMany, patLockWait, patStmtTO, patSlowStmt,
	patDiskMore, patModelMore, patLoadFail,
}
