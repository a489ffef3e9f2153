package report

import (
	"bytes"
	"strings"
	"testing"
)

// track builds a record's chunks from a call string: V viral, n non-viral, - no_orf;
// chunk i spans [i*100, i*100+150) (overlapping, like the real chunks).
func track(rec, calls string) []ChunkRow {
	out := make([]ChunkRow, len(calls))
	for i, c := range calls {
		r := ChunkRow{Record: rec, Index: i, Start: i * 100, End: i*100 + 150, Frames: 1}
		switch c {
		case 'V':
			r.MaxOthers, r.MaxVirus = 0.2, 0.8
		case 'n':
			r.MaxOthers, r.MaxVirus = 0.6, 0.4
		default:
			r.Frames = 0
		}
		out[i] = r
	}
	return out
}

func mergeAll(gap int, recs ...[]ChunkRow) []Region {
	m := NewRegionMerger(gap)
	var out []Region
	for _, rec := range recs {
		for _, c := range rec {
			if r, ok := m.Add(c); ok {
				out = append(out, r)
			}
		}
		if r, ok := m.Flush(); ok {
			out = append(out, r)
		}
	}
	return out
}

type span struct{ start, end, first, last, chunks, viral int }

func TestRegionMerging(t *testing.T) {
	tests := []struct {
		name  string
		calls string
		gap   int
		want  []span
	}{
		{"no viral chunk", "nnn--n", 1, nil},
		{"single chunk record", "V", 0, []span{{0, 150, 0, 0, 1, 1}}},
		{"run at both record ends", "VVnnVV", 1, []span{{0, 250, 0, 1, 2, 2}, {400, 650, 4, 5, 2, 2}}},
		{"gap of one bridged", "VVnVV", 1, []span{{0, 550, 0, 4, 5, 4}}},
		{"gap of one not bridged with gap 0", "VVnVV", 0, []span{{0, 250, 0, 1, 2, 2}, {300, 550, 3, 4, 2, 2}}},
		{"gap of two with gap 2", "VnnV", 2, []span{{0, 450, 0, 3, 4, 2}}},
		{"no_orf chunk counts as gap", "V-V", 1, []span{{0, 350, 0, 2, 3, 2}}},
		{"trailing non-viral chunks not included", "nVVnn", 5, []span{{100, 350, 1, 2, 2, 2}}},
		{"whole record viral", "VVVV", 0, []span{{0, 450, 0, 3, 4, 4}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := mergeAll(tc.gap, track("r", tc.calls))
			if len(got) != len(tc.want) {
				t.Fatalf("%d regions, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, g := range got {
				s := span{g.Start, g.End, g.FirstChunk, g.LastChunk, g.Chunks, g.ViralChunks}
				if s != tc.want[i] || g.Number != i+1 || g.Record != "r" {
					t.Errorf("region %d = %+v, want %+v", i, g, tc.want[i])
				}
			}
		})
	}
}

func TestRegionDoesNotCrossRecords(t *testing.T) {
	got := mergeAll(3, track("a", "nV"), track("b", "Vn"))
	if len(got) != 2 || got[0].Record != "a" || got[1].Record != "b" || got[1].Number != 1 {
		t.Fatalf("%+v", got)
	}
}

func TestRegionScoresAndFiles(t *testing.T) {
	rows := track("id|x<&", "VnV")
	rows[0].MaxVirus = 0.9
	rows[1].MaxVirus = 0.3
	rows[2].MaxVirus = 0.6
	got := mergeAll(1, rows)
	if len(got) != 1 {
		t.Fatalf("%+v", got)
	}
	r := got[0]
	if d := r.MeanScore - 0.6; d > 1e-6 || d < -1e-6 || r.MaxScore != 0.9 || r.BEDScore() != 600 {
		t.Fatalf("%+v (bed %d)", r, r.BEDScore())
	}
	r.RecordCall, r.RecordTier = CallAmbiguous, TierReview
	var bed, tsv bytes.Buffer
	w, _ := NewRegionsWriter(&bed, &tsv)
	if err := w.Write(r); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if want := "id|x<&\t0\t350\tid|x<&_region_1|Ambiguous|review\t600\t.\n"; bed.String() != want {
		t.Errorf("bed %q, want %q", bed.String(), want)
	}
	if want := RegionsHeader + "id|x<&\tid|x<&_region_1\t1\t350\t350\t1\t3\t3\t2\t0.6000\t0.9\tAmbiguous\treview\n"; tsv.String() != want {
		t.Errorf("tsv %q, want %q", tsv.String(), want)
	}
	for _, f := range strings.Split(strings.TrimSpace(bed.String()), "\t") {
		if f == "" {
			t.Error("empty BED field")
		}
	}
}
