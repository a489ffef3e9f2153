package perf

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"time"
)

// Usage is what a process has used: CPU time in user mode (our code) and in the
// kernel (system: mostly page faults when loading a model), and page faults —
// minor ones map memory without I/O (a fresh page of heap, zeroed; a page of a
// mapped file already in the page cache), major ones wait for a read from disk.
type Usage struct {
	User, Sys                time.Duration
	MinorFaults, MajorFaults int64
}

// Sub is the usage between v (earlier) and u.
func (u Usage) Sub(v Usage) Usage {
	return Usage{User: u.User - v.User, Sys: u.Sys - v.Sys, MinorFaults: u.MinorFaults - v.MinorFaults, MajorFaults: u.MajorFaults - v.MajorFaults}
}

// AnonHugeBytes is the process's anonymous memory held in transparent huge pages
// (AnonHugePages of /proc/self/smaps_rollup; Linux only).
func AnonHugeBytes() (uint64, bool) {
	data, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		return 0, false
	}
	return parseSmapsField(data, "AnonHugePages:")
}

// parseSmapsField returns the value in bytes of a "Name: <n> kB" line.
func parseSmapsField(data []byte, name string) (uint64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == name && f[2] == "kB" {
			kb, err := strconv.ParseUint(f[1], 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
