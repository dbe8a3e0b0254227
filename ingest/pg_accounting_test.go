package ingest

import (
	"testing"
	"time"
)

// TestPGStructureIsNotRows checks the accounting of snapshot files: a
// header repeated before each appended snapshot, a psql title, rule and
// footer are structure (their pg_snapshots frame is written, its lines
// count as continuations), so that Stats.Rows is the number of data rows
// written; a table of no known view keeps its text in its frame, which is
// then a row. The CSV lines are from
// fixtures/blind/slow-query-berlin/pg/pg_stat_statements.csv (lines 1-3
// and 15-17: two appended snapshots, each under its header).
func TestPGStructureIsNotRows(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone database")
	}
	tests := []struct {
		name                  string
		rd                    Reader
		path, text            string
		data, frames, textFrs int   // data rows, frames, frames kept as rows
		conts, rejects        int64 // continuation lines, rejects
	}{
		{"csv, header repeated before each snapshot", PGCSV{}, "pg/pg_stat_statements.csv",
			"snapshot_ts,userid,dbid,toplevel,queryid,query,plans,total_plan_time,min_plan_time,max_plan_time,mean_plan_time,stddev_plan_time,calls,total_exec_time,min_exec_time,max_exec_time,mean_exec_time,stddev_exec_time,rows,shared_blks_hit,shared_blks_read,shared_blks_dirtied,shared_blks_written,local_blks_hit,local_blks_read,local_blks_dirtied,local_blks_written,temp_blks_read,temp_blks_written,blk_read_time,blk_write_time,temp_blk_read_time,temp_blk_write_time,wal_records,wal_fpi,wal_bytes,jit_functions,jit_generation_time,jit_inlining_count,jit_inlining_time,jit_optimization_count,jit_optimization_time,jit_emission_count,jit_emission_time\n" +
				"2027-02-16 08:30:00.004800+01,16384,16385,t,4215096287735811402,\"SELECT r.frame_idx, r.latency_ms, r.fps, r.peak_mem_mb FROM benchmark_results r WHERE r.run_id = $1 ORDER BY r.frame_idx\",0,0,0,0,0,0,1204311,505810.400000,0.081000,212.500000,0.420000,0.000000,59011239,73462971,481724,73462,29385,0,0,0,0,0,0,5298.964,0,0,0,120431,0,49376751,0,0,0,0,0,0,0,0\n" +
				"2027-02-16 08:30:00.004800+01,16384,16385,t,-2216410991245879152,\"SELECT b.id, b.status, b.model_id, b.user_id, b.created_at, b.started_at, b.finished_at FROM benchmark_runs b WHERE b.id = $1\",0,0,0,0,0,0,2109881,168790.300000,0.021000,48.100000,0.080000,0.000000,2109881,8439524,21098,8439,3375,0,0,0,0,0,0,232.078,0,0,0,210988,0,86505121,0,0,0,0,0,0,0,0\n" +
				"snapshot_ts,userid,dbid,toplevel,queryid,query,plans,total_plan_time,min_plan_time,max_plan_time,mean_plan_time,stddev_plan_time,calls,total_exec_time,min_exec_time,max_exec_time,mean_exec_time,stddev_exec_time,rows,shared_blks_hit,shared_blks_read,shared_blks_dirtied,shared_blks_written,local_blks_hit,local_blks_read,local_blks_dirtied,local_blks_written,temp_blks_read,temp_blks_written,blk_read_time,blk_write_time,temp_blk_read_time,temp_blk_write_time,wal_records,wal_fpi,wal_bytes,jit_functions,jit_generation_time,jit_inlining_count,jit_inlining_time,jit_optimization_count,jit_optimization_time,jit_emission_count,jit_emission_time\n" +
				"2027-02-16 08:35:00.012282+01,16384,16385,t,4215096287735811402,\"SELECT r.frame_idx, r.latency_ms, r.fps, r.peak_mem_mb FROM benchmark_results r WHERE r.run_id = $1 ORDER BY r.frame_idx\",0,0,0,0,0,0,1204386,505845.771255,0.081000,212.500000,0.420003,0.002252,59014914,73467546,481724,73467,29387,0,0,0,0,0,0,5298.964,0,0,0,120438,0,49379826,0,0,0,0,0,0,0,0\n" +
				"2027-02-16 08:35:00.012282+01,16384,16385,t,-2216410991245879152,\"SELECT b.id, b.status, b.model_id, b.user_id, b.created_at, b.started_at, b.finished_at FROM benchmark_runs b WHERE b.id = $1\",0,0,0,0,0,0,2109927,168794.121328,0.021000,48.100000,0.080000,0.000159,2109927,8439708,21098,8439,3375,0,0,0,0,0,0,232.078,0,0,0,210992,0,86507007,0,0,0,0,0,0,0,0\n",
			4, 2, 0, 2, 0},
		{"csv, one header, a blank line and a ragged row", PGCSV{}, "pg/pg_stat_activity.csv",
			"snapshot_ts,pid,state,wait_event_type,wait_event,query\n" +
				"2027-02-16 10:13:00+01,52096,active,IO,DataFileRead,SELECT 1\n" +
				"\n" +
				"2027-02-16 10:13:10+01,52097,active,IO\n" +
				"2027-02-16 10:13:10+01,52098,active,IO,DataFileRead,SELECT 2\n",
			2, 1, 0, 2, 1},
		{"psql \\watch, two snapshots", PSQL{}, "pg/activity-watch.txt",
			"                                               Tue Feb 16 10:13:00 2027 (every 10s)\n\n" +
				"  pid  | state  | wait_event_type |  wait_event  \n" +
				"-------+--------+-----------------+--------------\n" +
				" 52096 | active | IO              | DataFileRead\n" +
				" 52429 | active | IO              | DataFileRead\n" +
				"(2 rows)\n\n" +
				"                                               Tue Feb 16 10:13:10 2027 (every 10s)\n\n" +
				"  pid  | state  | wait_event_type |  wait_event  \n" +
				"-------+--------+-----------------+--------------\n" +
				" 52882 | active | IO              | DataFileRead\n" +
				"(1 row)\n\n",
			3, 2, 0, 12, 0},
		{"psql, a table of no known view keeps its text as a row", PSQL{}, "pg/session.txt",
			"              now\n" +
				"-------------------------------\n" +
				" 2027-02-16 10:21:12.804311+01\n" +
				"(1 row)\n",
			0, 1, 1, 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, in := pgRead(t, tt.rd, tt.path, tt.text, testMTime, berlin)
			rows, frames := pgRows(m)
			textFrames := 0
			for _, f := range frames {
				if f.Text != "" {
					textFrames++
				}
			}
			if len(rows) != tt.data || len(frames) != tt.frames || textFrames != tt.textFrs {
				t.Fatalf("%d rows, %d frames (%d with text); want %d, %d (%d); rejects %q", len(rows), len(frames), textFrames, tt.data, tt.frames, tt.textFrs, m.rejects)
			}
			if want := int64(tt.data + tt.textFrs); in.Stats.Rows != want {
				t.Errorf("Stats.Rows %d, want %d (the rows written, structure left out)", in.Stats.Rows, want)
			}
			if in.Stats.Continuations != tt.conts || in.Stats.Rejects != tt.rejects {
				t.Errorf("continuations %d rejects %d %q, want %d %d", in.Stats.Continuations, in.Stats.Rejects, m.rejects, tt.conts, tt.rejects)
			}
		})
	}
}
