package report

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestChunksRoundTrip(t *testing.T) {
	rows := []ChunkRow{
		{Record: "a|b<c&", Index: 0, Start: 0, End: 500, Frames: 2, MaxOthers: 0.25, MaxVirus: 0.75},
		{Record: "a|b<c&", Index: 1, Start: 299, End: 600, Frames: 0},
		{Record: "x", Index: 0, Start: 0, End: 10, Frames: 1, MaxOthers: 0.7459288, MaxVirus: 0.25407124},
		{Record: "t", Index: 0, Start: 0, End: 3, Frames: 1, MaxOthers: 0.5, MaxVirus: 0.5},
	}
	var buf bytes.Buffer
	w, _ := NewChunksWriter(&buf)
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	want := ChunksHeader +
		"a|b<c&\t1\t1\t500\t2\t0.25\t0.75\tviral\n" +
		"a|b<c&\t2\t300\t600\t0\tNA\tNA\tno_orf\n" +
		"x\t1\t1\t10\t1\t0.7459288\t0.25407124\tnon_viral\n" +
		"t\t1\t1\t3\t1\t0.5\t0.5\tviral\n"
	if buf.String() != want {
		t.Fatalf("chunks.tsv:\n%s\nwant\n%s", buf.String(), want)
	}
	r, err := NewChunksReader(strings.NewReader(buf.String()), "chunks.tsv")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		got, err := r.Next()
		if err == io.EOF {
			if i != len(rows) {
				t.Fatalf("%d rows read, want %d", i, len(rows))
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if got != rows[i] {
			t.Errorf("row %d: %+v, want %+v", i, got, rows[i])
		}
	}
}

func TestChunksReaderErrors(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"empty", "", "empty file"},
		{"bad header", "id\tchunk\n", "line 1: header"},
		{"columns", ChunksHeader + "a\t1\t1\n", "line 2: 3 columns"},
		{"bad int", ChunksHeader + "a\tx\t1\t5\t1\t0.1\t0.9\tviral\n", "line 2: column 2 (chunk)"},
		{"bad span", ChunksHeader + "a\t1\t10\t5\t1\t0.1\t0.9\tviral\n", "span"},
		{"bad score", ChunksHeader + "a\t1\t1\t5\t1\t1.5\t0.9\tviral\n", "not a probability"},
		{"call mismatch", ChunksHeader + "a\t1\t1\t5\t1\t0.9\t0.1\tviral\n", "disagrees"},
		{"no_orf with scores", ChunksHeader + "a\t1\t1\t5\t0\t0.9\t0.1\tno_orf\n", "NA scores"},
		{"empty id", ChunksHeader + "\t1\t1\t5\t0\tNA\tNA\tno_orf\n", "empty record id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewChunksReader(strings.NewReader(tc.data), "out/chunks.tsv")
			if err == nil {
				_, err = r.Next()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "out/chunks.tsv") {
				t.Fatalf("error %v, want one naming the file and containing %q", err, tc.want)
			}
		})
	}
}
