// Package pgtest starts a throwaway PostgreSQL server for tests, and
// writes psql-style output for benchmarks. The server runs from the
// machine's own PostgreSQL binaries (Debian's postgresql-15 and
// postgresql-contrib-15), on a free loopback port, in a folder of its own;
// tests skip with a clear message when the binaries are not installed.
package pgtest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Server is a running throwaway PostgreSQL.
type Server struct {
	Bin        string // folder of initdb, pg_ctl, postgres, psql
	Dir        string // the server's own folder (data, socket, log)
	Port       int
	Statements bool // pg_stat_statements is preloaded
	asRoot     bool
}

// FindBin returns the folder of the newest PostgreSQL server binaries, or
// "" when none is installed.
func FindBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "pg_ctl")) {
			return d
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		d := filepath.Dir(p)
		if isExec(filepath.Join(d, "pg_ctl")) {
			return d
		}
	}
	return ""
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// Start initialises and starts a server for the test, stopped and removed
// when the test ends. initdb refuses to run as root: as root, the server
// runs as the postgres user, in a folder that user owns.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := FindBin()
	if bin == "" {
		t.Skip("PostgreSQL server binaries (initdb, pg_ctl) not found: install postgresql-15 and postgresql-contrib-15 (.ci/run does) to run this test")
	}
	s := &Server{Bin: bin, asRoot: os.Geteuid() == 0}
	var uid, gid int
	if s.asRoot {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root and there is no postgres user to run the server as (initdb refuses root)")
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
	}
	// t.TempDir() sits under 0700 folders the postgres user cannot reach.
	dir, err := os.MkdirTemp("", "forensics-pg-")
	if err != nil {
		t.Fatal(err)
	}
	s.Dir = dir
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if s.asRoot {
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := s.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	s.Port = freePort(t)
	lib := s.pkgLibDir()
	s.Statements = lib != "" && isFile(filepath.Join(lib, "pg_stat_statements.so"))
	conf := fmt.Sprintf("listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\n"+
		"fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 40\n"+
		"log_min_messages = warning\ndeadlock_timeout = '100ms'\n", s.Port, dir)
	if s.Statements {
		conf += "shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = all\ntrack_io_timing = on\n"
	}
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(conf)
	f.Close()
	logf := filepath.Join(dir, "server.log")
	if out, err := s.run("pg_ctl", "-D", data, "-l", logf, "-w", "-t", "60", "start"); err != nil {
		b, _ := os.ReadFile(logf)
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, b)
	}
	t.Cleanup(func() { s.run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop") })
	return s
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// pkgLibDir is where the server's extension libraries are.
func (s *Server) pkgLibDir() string {
	if out, err := exec.Command(filepath.Join(s.Bin, "pg_config"), "--pkglibdir").Output(); err == nil {
		return strings.TrimSpace(string(out))
	}
	return filepath.Join(filepath.Dir(s.Bin), "lib")
}

// run runs a server binary, as the postgres user when we are root.
func (s *Server) run(name string, args ...string) ([]byte, error) {
	path := filepath.Join(s.Bin, name)
	var cmd *exec.Cmd
	if s.asRoot {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = s.Dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.Bytes(), err
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		return out.Bytes(), fmt.Errorf("%s timed out", name)
	}
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// DSN is a URL for database db as the postgres superuser.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, db)
}

// Psql returns a psql command for database db (no psqlrc, stop on
// error), in the C locale and UTC unless env says otherwise.
func (s *Server) Psql(db string, env []string, args ...string) *exec.Cmd {
	base := []string{"-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", strconv.Itoa(s.Port), "-U", "postgres", "-d", db}
	cmd := exec.Command(filepath.Join(s.Bin, "psql"), append(base, args...)...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC", "PGTZ=UTC", "PGCONNECT_TIMEOUT=10")
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// Exec runs SQL in database db with psql and returns its output; the test
// fails when psql does.
func (s *Server) Exec(t testing.TB, db string, args ...string) string {
	t.Helper()
	cmd := s.Psql(db, nil, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("psql %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// Restart stops the server (fast: sessions are terminated) and starts it
// again on the same port.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	data := filepath.Join(s.Dir, "data")
	if out, err := s.run("pg_ctl", "-D", data, "-l", filepath.Join(s.Dir, "server.log"), "-w", "-t", "60", "-m", "fast", "restart"); err != nil {
		t.Fatalf("pg_ctl restart: %v\n%s", err, out)
	}
}
