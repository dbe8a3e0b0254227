package ingest

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// file is one evidence file found by the walk, or a directory that a
// DirReader claims whole (dir set).
type file struct {
	path string
	info fs.FileInfo
	dir  DirReader
}

// walk lists the regular files under paths (files given directly are taken
// as they are). Hidden files and folders (.git, .DS_Store) are skipped, and
// so are the case database and its WAL when they sit in the folder. A
// directory that claim returns a reader for is listed as one entry and not
// descended into (claim may be nil).
func walk(paths []string, skip func(path string) bool, claim func(dir string) DirReader) ([]file, []Problem) {
	var out []file
	var probs []Problem
	seen := map[string]bool{}
	add := func(p string, info fs.FileInfo) bool {
		abs, err := filepath.Abs(p)
		if err != nil {
			abs = p
		}
		if seen[abs] || (skip != nil && skip(abs)) {
			return false
		}
		seen[abs] = true
		out = append(out, file{path: p, info: info})
		return true
	}
	for _, root := range paths {
		info, err := os.Stat(root)
		if err != nil {
			probs = append(probs, Problem{Path: root, Severity: "error", Err: err, Hint: "check the path"})
			continue
		}
		if !info.IsDir() {
			add(root, info)
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				probs = append(probs, Problem{Path: p, Severity: "error", Err: err, Hint: "check the permissions of the evidence folder"})
				if d != nil && d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			name := d.Name()
			if p != root && strings.HasPrefix(name, ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				if claim != nil {
					if dr := claim(p); dr != nil {
						if fi, err := d.Info(); err == nil {
							if add(p, fi) {
								out[len(out)-1].dir = dr
							}
							return filepath.SkipDir
						}
					}
				}
				return nil
			}
			if !d.Type().IsRegular() {
				if d.Type()&fs.ModeSymlink != 0 {
					if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
						add(p, fi)
					}
				}
				return nil
			}
			fi, err := d.Info()
			if err != nil {
				probs = append(probs, Problem{Path: p, Severity: "error", Err: err})
				return nil
			}
			add(p, fi)
			return nil
		})
		if err != nil {
			probs = append(probs, Problem{Path: root, Severity: "error", Err: err})
		}
	}
	sortRotated(out)
	return out, probs
}

// rotation splits a logrotate name into its base and generation:
// x.log → (x.log, 0), x.log.1 → (x.log, 1), x.log.2.gz → (x.log, 2),
// x.log-20261120 → (x.log, -20261120) so that dated copies sort oldest
// first and before the live file.
func rotation(path string) (string, int) {
	p := strings.TrimSuffix(path, ".gz")
	if i := strings.LastIndexByte(p, '.'); i > 0 {
		if n, err := strconv.Atoi(p[i+1:]); err == nil && n >= 0 && n < 10000 {
			return p[:i], n
		}
	}
	if i := strings.LastIndexByte(p, '-'); i > 0 {
		if len(p)-i-1 == 8 {
			if n, err := strconv.Atoi(p[i+1:]); err == nil {
				return p[:i], 100000000 - n
			}
		}
	}
	return p, 0
}

// sortRotated orders files by folder and name, and within a rotated set
// oldest first (x.log.2.gz, x.log.1, x.log), so rows are stored in time order.
func sortRotated(fs []file) {
	sort.SliceStable(fs, func(i, j int) bool {
		bi, gi := rotation(fs[i].path)
		bj, gj := rotation(fs[j].path)
		if bi != bj {
			return bi < bj
		}
		if gi != gj {
			return gi > gj
		}
		return fs[i].path < fs[j].path
	})
}
