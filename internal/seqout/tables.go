package seqout

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// table reads a tab-separated file with a header line, one row at a time, giving the
// wanted columns by name.
type table struct {
	path string
	f    *os.File
	sc   *bufio.Scanner
	cols []int // index of each wanted column
	line int
	row  []string // the current row's wanted fields; nil at the end
}

func openTable(path string, columns ...string) (*table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (run predict first)", path, err)
	}
	t := &table{path: path, f: f, sc: bufio.NewScanner(f)}
	t.sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
	if !t.sc.Scan() {
		f.Close()
		return nil, fmt.Errorf("%s: no header line", path)
	}
	t.line = 1
	header := strings.Split(t.sc.Text(), "\t")
	for _, c := range columns {
		i := indexOf(header, c)
		if i < 0 {
			f.Close()
			return nil, fmt.Errorf("%s: no %q column (written by an older virnucpro? run `virnucpro report` on the directory)", path, c)
		}
		t.cols = append(t.cols, i)
	}
	return t, t.advance()
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// advance reads the next row (row is nil at the end).
func (t *table) advance() error {
	if !t.sc.Scan() {
		t.row = nil
		if err := t.sc.Err(); err != nil {
			return fmt.Errorf("%s line %d: %w", t.path, t.line+1, err)
		}
		return nil
	}
	t.line++
	fields := strings.Split(t.sc.Text(), "\t")
	t.row = t.row[:0]
	for _, i := range t.cols {
		if i >= len(fields) {
			return fmt.Errorf("%s line %d: %d fields, fewer than the header's", t.path, t.line, len(fields))
		}
		t.row = append(t.row, fields[i])
	}
	if t.row == nil {
		t.row = []string{}
	}
	return nil
}

func (t *table) int(i int) (int, error) {
	n, err := strconv.Atoi(t.row[i])
	if err != nil {
		return 0, fmt.Errorf("%s line %d: %q is not a whole number", t.path, t.line, t.row[i])
	}
	return n, nil
}

func (t *table) Close() error { return t.f.Close() }

var _ io.Closer = (*table)(nil)
