package ingest

import (
	"strings"
	"testing"

	"github.com/vidbench/forensics"
)

func TestClassify(t *testing.T) {
	const (
		restart = forensics.ActionRestart
		config  = forensics.ActionConfigChange
		cache   = forensics.ActionCacheClear
		cleanup = forensics.ActionCleanup
		killQ   = forensics.ActionKillQuery
		killP   = forensics.ActionKillProcess
		maint   = forensics.ActionMaintenanceMode
		model   = forensics.ActionModelRedownload
		scale   = forensics.ActionScale
		look    = forensics.ActionLookOnly
		other   = forensics.ActionOther
		dbMaint = ActionDBMaintenance
	)
	tests := []struct {
		cmd, action, target, service string
	}{
		// firewall: a block is a change, a listing a look
		{"sudo nft add element inet filter blocklist { 185.220.0.0/16, 45.146.0.0/16 }", config, "", ""},
		{"iptables -I INPUT -s 185.220.101.4 -j DROP", config, "", ""},
		{"sudo ufw deny from 45.146.0.0/16 to any port 443", config, "", ""},
		{"fail2ban-client set nginx-login banip 91.241.19.84", config, "", ""},
		{"sudo nft list ruleset", look, "", ""},
		{"iptables -L -n", look, "", ""},
		{"ufw status verbose", look, "", ""},
		// restarts, every spelling
		{"docker-compose restart benchmark", restart, "benchmark", "benchmark"},
		{"docker compose restart benchmark", restart, "benchmark", "benchmark"},
		{"sudo docker-compose restart benchmark", restart, "benchmark", "benchmark"},
		{"sudo -u deploy docker compose -f /srv/vid-bench/docker-compose.yml restart benchmark", restart, "benchmark", "benchmark"},
		{"docker-compose -p vidbench restart -t 30 benchmark", restart, "benchmark", "benchmark"},
		{"docker-compose restart", restart, "all", ""},
		{"docker restart vid-bench-benchmark-1", restart, "vid-bench-benchmark-1", "vid-bench-benchmark-1"},
		{"docker container restart vid-bench-benchmark-1", restart, "vid-bench-benchmark-1", "vid-bench-benchmark-1"},
		{"systemctl restart vid-bench", restart, "vid-bench", "vid-bench"},
		{"sudo systemctl restart vid-bench.service", restart, "vid-bench", "vid-bench"},
		{"service vid-bench restart", restart, "vid-bench", "vid-bench"},
		{"docker-compose down", restart, "all", ""},
		{"docker-compose up -d", restart, "all", ""},
		{"docker-compose stop benchmark_1", restart, "benchmark_1", "benchmark_1"},
		{"docker-compose restart postgres", restart, "postgres", "postgres"},
		{"kubectl rollout restart deployment/vid-bench", restart, "deployment/vid-bench", "deployment/vid-bench"},
		{"sudo reboot", restart, "host", ""},
		{"nvidia-smi -r -i 0", restart, "gpu reset", ""},
		{"docker ps -q --filter name=bench | xargs docker restart", restart, "", ""},
		// config changes
		{"vid-bench config set max_batch_size 1", config, "max_batch_size=1", ""},
		{"vid-bench config set max_batch_size=1", config, "max_batch_size=1", ""},
		{"sudo vid-bench --url http://localhost:8000 config set max_batch_size 1", config, "max_batch_size=1", ""},
		{"docker-compose exec benchmark vid-bench config set max_batch_size 1", config, "max_batch_size=1", "benchmark"},
		{"docker exec -it vid-bench-benchmark-1 vid-bench config set max_batch_size 2", config, "max_batch_size=2", "vid-bench-benchmark-1"},
		{"python -m vid_bench config set max_batch_size 1", config, "max_batch_size=1", ""},
		{"sed -i 's/max_batch_size: 8/max_batch_size: 1/' /etc/vid-bench/config.yaml", config, "/etc/vid-bench/config.yaml", ""},
		{"sudo vim /etc/vid-bench/config.yaml", config, "/etc/vid-bench/config.yaml", ""},
		{`echo "max_batch_size: 1" >> /etc/vid-bench/config.yaml`, config, "/etc/vid-bench/config.yaml", ""},
		{`echo "max_batch_size: 1" | sudo tee -a /etc/vid-bench/config.yaml`, config, "/etc/vid-bench/config.yaml", ""},
		{`psql -c "ALTER SYSTEM SET max_connections = 200"`, config, "ALTER SYSTEM SET max_connections = 200", ""},
		{"redis-cli config set maxmemory 2gb", config, "redis maxmemory 2gb", ""},
		{`curl -X PUT http://localhost:8000/api/v1/admin/config -d '{"max_batch_size": 1}'`, config, `{"max_batch_size": 1}`, ""},
		{"nvidia-smi -pl 600", config, "nvidia-smi -pl 600", ""},
		{"sysctl -w vm.overcommit_memory=1", config, "vm.overcommit_memory=1", ""},
		// cache clears
		{"rm -rf /data/models/cache/*", cache, "/data/models/cache/*", ""},
		{"sudo rm -rf /data/models/cache/hunyuan-video", cache, "/data/models/cache/hunyuan-video", ""},
		{"rm -rf ~/.cache/huggingface/hub", cache, "~/.cache/huggingface/hub", ""},
		{`python -c "import torch; torch.cuda.empty_cache()"`, cache, "torch.cuda.empty_cache()", ""},
		{`python3 -c 'import torch;torch.cuda.empty_cache()'`, cache, "torch.cuda.empty_cache()", ""},
		{"redis-cli FLUSHALL", cache, "redis flushall", ""},
		{"sync; echo 3 > /proc/sys/vm/drop_caches", cache, "/proc/sys/vm/drop_caches", ""},
		{"echo 3 | sudo tee /proc/sys/vm/drop_caches", cache, "/proc/sys/vm/drop_caches", ""},
		{"huggingface-cli delete-cache", cache, "huggingface cache", ""},
		// cleanup
		{"docker system prune -f", cleanup, "docker system prune", ""},
		{"sudo docker system prune -af --volumes", cleanup, "docker system prune", ""},
		{"docker image prune -a -f", cleanup, "docker image prune", ""},
		{`find /tmp -name "vid-bench-*" -mtime +1 -delete`, cleanup, "/tmp", ""},
		{"rm -rf /tmp/vid-bench-*", cleanup, "/tmp/vid-bench-*", ""},
		{"sudo journalctl --vacuum-size=500M", cleanup, "journal", ""},
		{"truncate -s 0 /var/log/vid-bench/benchmark.log", cleanup, "/var/log/vid-bench/benchmark.log", ""},
		{": > /var/log/vid-bench/benchmark.log", cleanup, "/var/log/vid-bench/benchmark.log", ""},
		// kill query
		{`psql -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE state = 'active' AND query_start < now() - interval '5 minutes';"`, killQ, "", ""},
		{`sudo -u postgres psql vid_bench -c 'select pg_cancel_backend(4711)'`, killQ, "", ""},
		{`docker-compose exec postgres psql -U vid_bench -c "SELECT pg_terminate_backend(311);"`, killQ, "", "postgres"},
		// kill process
		{"kill -9 48211", killP, "48211", ""},
		{"sudo pkill -f vid_bench", killP, "vid_bench", ""},
		{"fuser -k /dev/nvidia0", killP, "/dev/nvidia0", ""},
		{"fuser -vk /dev/nvidia*", killP, "/dev/nvidia*", ""},
		// feature flags
		{"vid-bench flags set report_export off --reason 'export saturating workers'", config, "flag report_export=off", ""},
		{"vid-bench flags disable report_export", config, "flag report_export disable", ""},
		{"vid-bench feature-flags list", look, "feature flags", ""},
		{"vid-bench flags", look, "feature flags", ""},
		// maintenance mode
		{"vid-bench maintenance-mode enable", maint, "enable", ""},
		{"vid-bench maintenance-mode disable", maint, "disable", ""},
		{"sudo vid-bench maintenance_mode on", maint, "enable", ""},
		{"vid-bench maintenance off", maint, "disable", ""},
		{"docker compose exec benchmark vid-bench maintenance-mode enable", maint, "enable", "benchmark"},
		{`curl -X POST http://localhost:8000/api/v1/admin/maintenance -d '{"enabled": true}'`, maint, "enable", ""},
		{`curl -X POST http://localhost:8000/api/v1/admin/maintenance -d '{"enabled": false}'`, maint, "disable", ""},
		// model re-download
		{"vid-bench download-model --force hunyuan-video", model, "hunyuan-video", ""},
		{"vid-bench download-model svd-xt", model, "svd-xt", ""},
		{"huggingface-cli download tencent/HunyuanVideo --local-dir /data/models/hunyuan-video", model, "tencent/HunyuanVideo", ""},
		// scale
		{"docker-compose up --scale benchmark=2", scale, "benchmark=2", "benchmark"},
		{"docker compose up -d --scale benchmark=3", scale, "benchmark=3", "benchmark"},
		{"docker-compose scale benchmark=2", scale, "benchmark=2", "benchmark"},
		{"kubectl scale deployment/vid-bench --replicas=3", scale, "deployment/vid-bench --replicas=3", "deployment/vid-bench"},
		// look only
		{"nvidia-smi", look, "", ""},
		{"watch -n 1 nvidia-smi", look, "", ""},
		{"nvidia-smi --query-gpu=timestamp,index,memory.used,memory.total,utilization.gpu --format=csv -l 1", look, "", ""},
		{"nvidia-smi | tee ~/incident/nvidia-smi-$(date -u +%Y%m%dT%H%M%SZ).txt", look, "", ""},
		{"df -h", look, "", ""},
		{"df -h /data/models", look, "", ""},
		{"free -h", look, "", ""},
		{"docker-compose ps", look, "", ""},
		{"docker compose ps", look, "", ""},
		{"docker-compose logs --tail=100", look, "", ""},
		{"docker-compose logs --tail=50 benchmark", look, "benchmark", "benchmark"},
		{"docker compose logs -f --tail 50 benchmark", look, "benchmark", "benchmark"},
		{"docker stats --no-stream", look, "", ""},
		{"docker logs --tail 100 vid-bench-benchmark-1 2>&1 | grep -i cuda", look, "vid-bench-benchmark-1", "vid-bench-benchmark-1"},
		{"grep ERROR /var/log/vid-bench/*.log | tail -20", look, "", ""},
		{`grep -E "(ERROR|CRITICAL|FATAL)" /var/log/vid-bench/*.log`, look, "", ""},
		{"systemctl status vid-bench", look, "vid-bench", "vid-bench"},
		{`journalctl --since "1 hour ago" -u vid-bench`, look, "", ""},
		{"curl -f http://localhost:8000/health", look, "http://localhost:8000/health", ""},
		{`watch -n 30 "curl -f http://localhost:8000/health"`, look, "http://localhost:8000/health", ""},
		{"fuser -v /dev/nvidia*", look, "", ""},
		{"du -sh /data/models/cache/*", look, "", ""},
		{"redis-cli lrange benchmark_queue 0 10", look, "", ""},
		{"redis-cli -h redis-host info memory", look, "", ""},
		{`psql -c "SELECT * FROM pg_stat_activity;"`, look, "", ""},
		{`psql -c "SELECT query, mean_time FROM pg_stat_statements ORDER BY mean_time DESC LIMIT 5;"`, look, "", ""},
		{"pg_isready -h localhost -p 5432", look, "", ""},
		{"vid-bench metrics --active-users", look, "", ""},
		{"vid-bench runs list --status failed", look, "", ""},
		{"vid-bench verify-model hunyuan-video", look, "", ""},
		{"vid-bench config get max_batch_size", look, "max_batch_size", ""},
		{"vid-bench maintenance-mode status", look, "maintenance-mode status", ""},
		{"netstat -tlnp | grep :8000", look, "", ""},
		{"ping -c 3 database-host", look, "", ""},
		{"telnet redis-host 6379", look, "", ""},
		{"ssh gpu-host-1", look, "gpu-host-1", ""},
		{"top", look, "", ""},
		{"cd /srv/vid-bench && docker-compose ps", look, "", ""},
		{"tail -100 /var/log/vid-bench/error.log", look, "", ""},
		{"sleep 30", look, "", ""},
		{"# just a comment", look, "", ""},
		{"LANG=C df -h", look, "", ""},
		{"time nvidia-smi", look, "", ""},
		// chains and pipes: the first action wins, every action is listed
		{"vid-bench maintenance-mode enable && sleep 30 && docker-compose restart && vid-bench maintenance-mode disable", maint, "enable", ""},
		{"docker-compose ps && docker-compose restart benchmark", restart, "benchmark", "benchmark"},
		{"nvidia-smi; docker-compose restart benchmark || docker-compose up -d benchmark", restart, "benchmark", "benchmark"},
		{"yes | docker system prune", cleanup, "docker system prune", ""},
		{`ssh gpu-host-1 "sudo docker-compose restart benchmark"`, restart, "benchmark", "benchmark"},
		{`bash -c "docker-compose restart benchmark"`, restart, "benchmark", "benchmark"},
		{`sudo sh -c 'echo 3 > /proc/sys/vm/drop_caches'`, cache, "/proc/sys/vm/drop_caches", ""},
		{`timeout 60 docker-compose restart benchmark`, restart, "benchmark", "benchmark"},
		{`nohup docker-compose up -d --scale benchmark=2 &`, scale, "benchmark=2", "benchmark"},
		// other
		{"git pull", other, "", ""},
		{"make deploy", other, "", ""},
		{"./fix-it.sh", other, "", ""},
		{`psql -c "DROP TABLE benchmark_results_new;"`, other, "DROP TABLE benchmark_results_new;", ""},
		// work on the database's structures and statistics
		{`psql -c "ANALYZE;"`, dbMaint, "ANALYZE;", ""},
		{`sudo -u postgres psql vid_bench -c "CREATE INDEX CONCURRENTLY benchmark_results_run_id_idx ON benchmark_results (run_id);"`, dbMaint, "CREATE INDEX CONCURRENTLY benchmark_results_run_id_idx ON benchmark_results (run_id);", ""},
		{`psql -c 'VACUUM (VERBOSE, ANALYZE) benchmark_runs'`, dbMaint, "VACUUM (VERBOSE, ANALYZE) benchmark_runs", ""},
		{`psql -c "REINDEX INDEX CONCURRENTLY benchmark_runs_status_idx"`, dbMaint, "", ""},
		{`psql -c "REFRESH MATERIALIZED VIEW CONCURRENTLY leaderboard"`, dbMaint, "", ""},
		{`psql -c "EXPLAIN ANALYZE SELECT * FROM benchmark_results WHERE run_id = 'x'"`, look, "", ""},
		{"cd /srv && ./deploy.sh", other, "", ""},
		{"", look, "", ""},
		{`echo "unclosed`, look, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			m := Classify(tt.cmd)
			if m.Action != tt.action {
				t.Fatalf("action %q, want %q (%+v)", m.Action, tt.action, m)
			}
			if tt.target != "" && m.Target != tt.target {
				t.Errorf("target %q, want %q", m.Target, tt.target)
			}
			if tt.service != "" && m.Service != tt.service {
				t.Errorf("service %q, want %q", m.Service, tt.service)
			}
		})
	}
}

func TestClassifyChainListsActions(t *testing.T) {
	m := Classify("vid-bench maintenance-mode enable && sleep 30 && docker-compose restart && vid-bench maintenance-mode disable")
	want := []string{forensics.ActionMaintenanceMode, forensics.ActionRestart, forensics.ActionMaintenanceMode}
	if strings.Join(m.Actions, ",") != strings.Join(want, ",") {
		t.Errorf("actions %v, want %v", m.Actions, want)
	}
	if !Classify("sudo nvidia-smi").Sudo || Classify("nvidia-smi").Sudo {
		t.Error("sudo not noted")
	}
}

func TestShellSplit(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{`a b  c`, `a|b|c`},
		{`echo "x y" 'z w'`, `echo|x y|z w`},
		{`a && b || c; d | e`, `a|<&&>|b|<||>|c|<;>|d|<|>|e`},
		{`cmd 2>&1 >out`, `cmd|<2>&>|1|<>>|out`},
		{`echo $(date -u +%s) x`, `echo|$(date -u +%s)|x`},
		{`a\ b "q\"x"`, `a b|q"x`},
		{"a \\\nb", `a|b`},
		{`x # comment`, `x`},
		{`(cd /x && ls)`, `<;>|cd|/x|<&&>|ls|<;>`},
	}
	for _, tt := range tests {
		var parts []string
		for _, tk := range shellSplit(tt.in) {
			if tk.op != "" {
				parts = append(parts, "<"+tk.op+">")
			} else {
				parts = append(parts, tk.text)
			}
		}
		if got := strings.Join(parts, "|"); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestClassifyPsqlInput classifies what is typed at psql's own prompt in a
// session log (the lines of fixtures/blind/slow-query-berlin's typescript
// and others): SQL as in psql -c, and psql's backslash commands.
func TestClassifyPsqlInput(t *testing.T) {
	tests := []struct{ in, action string }{
		{"CREATE INDEX CONCURRENTLY benchmark_results_run_id_idx ON benchmark_results (run_id);", ActionDBMaintenance},
		{"ANALYZE benchmark_results;", ActionDBMaintenance},
		{"vacuum analyze benchmark_runs;", ActionDBMaintenance},
		{"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE state = 'idle in transaction';", forensics.ActionKillQuery},
		{"ALTER SYSTEM SET max_connections = 300;", forensics.ActionConfigChange},
		{"SELECT pg_reload_conf();", forensics.ActionConfigChange},
		{"SELECT now();", forensics.ActionLookOnly},
		{"SELECT pid, state, wait_event_type, wait_event, now() - query_start AS runtime FROM pg_stat_activity WHERE state <> 'idle' ORDER BY runtime DESC LIMIT 6;", forensics.ActionLookOnly},
		{`\d benchmark_results`, forensics.ActionLookOnly},
		{`\q`, forensics.ActionLookOnly},
		{`\watch 5`, forensics.ActionLookOnly},
		{`\! sudo systemctl restart vid-bench`, forensics.ActionRestart},
		{`\i /tmp/fix.sql`, forensics.ActionOther},
		{"DELETE FROM benchmark_runs WHERE status = 'queued';", forensics.ActionOther},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if m := classifyPsqlInput(tt.in); m.Action != tt.action {
				t.Errorf("action %q, want %q (%+v)", m.Action, tt.action, m)
			}
		})
	}
}
