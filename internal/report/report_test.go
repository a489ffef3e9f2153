package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestFormatScoreMatchesNumpyFloat32Str(t *testing.T) {
	// The goldens record the exact text the original printed (str() of numpy float32).
	var golden struct {
		Rows []struct {
			Probs   []float64 `json:"probs"`
			Printed string    `json:"printed"`
		} `json:"rows"`
	}
	readJSON(t, filepath.Join("..", "..", "testdata", "mlp", "golden.json"), &golden)
	if len(golden.Rows) == 0 {
		t.Fatal("no rows in golden")
	}
	for i, r := range golden.Rows {
		got := FormatScore(float32(r.Probs[0])) + "\t" + FormatScore(float32(r.Probs[1]))
		if got != r.Printed {
			t.Errorf("row %d: got %q, want %q", i, got, r.Printed)
		}
	}
	for _, tc := range []struct {
		in   float32
		want string
	}{{1, "1.0"}, {0, "0.0"}, {float32(math.NaN()), "nan"}, {0.5, "0.5"}, {1e-5, "1e-05"}, {0.0001, "0.0001"}, {2.5e-7, "2.5e-07"}} {
		if got := FormatScore(tc.in); got != tc.want {
			t.Errorf("FormatScore(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestOriginalFilesRoundTrip re-creates the original's two result files from the scores
// it printed and checks them byte for byte.
func TestOriginalFilesRoundTrip(t *testing.T) {
	for _, size := range []string{"300", "500"} {
		t.Run(size, func(t *testing.T) {
			dir := filepath.Join("..", "..", "testdata", "virnucpro_e2e_tiny", "L"+size, "input_sequence_merged")
			want, err := os.ReadFile(filepath.Join(dir, "prediction_results.txt"))
			if err != nil {
				t.Fatal(err)
			}
			frames := parsePredictions(t, want)
			var got bytes.Buffer
			pw, err := NewPredictionWriter(&got)
			if err != nil {
				t.Fatal(err)
			}
			var hs bytes.Buffer
			hw, err := NewHighestScoreWriter(&hs, CompatOriginal)
			if err != nil {
				t.Fatal(err)
			}
			var cur *ChunkCall
			for _, f := range frames {
				if err := pw.Write(f); err != nil {
					t.Fatal(err)
				}
				if cur == nil || cur.ChunkID != f.ChunkID() {
					if cur != nil {
						hw.Write(*cur)
					}
					cur = &ChunkCall{ChunkID: f.ChunkID()}
				}
				cur.Add(f)
			}
			if cur != nil {
				hw.Write(*cur)
			}
			pw.Flush()
			hw.Close()
			if got.String() != string(want) {
				t.Errorf("prediction_results.txt differs:\n%s\nwant:\n%s", got.String(), want)
			}
			wantHS, err := os.ReadFile(filepath.Join(dir, "prediction_results_highestscore.csv"))
			if err != nil {
				t.Fatal(err)
			}
			if hs.String() != string(wantHS) {
				t.Errorf("highestscore differs:\n%s\nwant:\n%s", hs.String(), wantHS)
			}
		})
	}
}

func TestChunkCallRules(t *testing.T) {
	tests := []struct {
		name   string
		frames []FrameScore
		virus  bool
	}{
		{"single others", []FrameScore{{"c F1", 0.7, 0.3}}, false},
		{"single virus", []FrameScore{{"c F1", 0.3, 0.7}}, true},
		{"tie is viral", []FrameScore{{"c F1", 0.5, 0.5}}, true},
		{"maxima from different frames", []FrameScore{{"cF1", 0.9, 0.1}, {"cF2", 0.05, 0.95}}, true},
		{"others wins", []FrameScore{{"cF1", 0.9, 0.1}, {"cF2", 0.2, 0.8}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c ChunkCall
			for _, f := range tc.frames {
				c.Add(f)
			}
			if c.IsVirus() != tc.virus {
				t.Fatalf("IsVirus = %v, want %v (%+v)", c.IsVirus(), tc.virus, c)
			}
		})
	}
	if (FrameScore{Others: 0.5, Virus: 0.5}).Label() != LabelOthers {
		t.Fatal("an exact frame tie must be labelled others")
	}
}

func TestBroadLayoutAndSequences(t *testing.T) {
	var hs bytes.Buffer
	hw, _ := NewHighestScoreWriter(&hs, CompatBroad)
	hw.Write(ChunkCall{ChunkID: "b_chunk_1", MaxOthers: 0.25, MaxVirus: 0.75, Frames: 2})
	hw.Write(ChunkCall{ChunkID: "a_chunk_1"}) // no frames: no row
	hw.Write(ChunkCall{ChunkID: "a_chunk_2", MaxOthers: 0.875, MaxVirus: 0.125, Frames: 1})
	hw.Close()
	want := "Modified_ID\tIs_Virus\tmax_score_0\tmax_score_1\nb_chunk_1\tTrue\t0.25\t0.75\na_chunk_2\tFalse\t0.875\t0.125\n"
	if hs.String() != want {
		t.Fatalf("broad layout:\n%q\nwant\n%q", hs.String(), want)
	}

	var sq bytes.Buffer
	sw, _ := NewSequencesWriter(&sq)
	r := NewRecordSummary("rec", 600)
	r.AddChunk(ChunkCall{ChunkID: "rec_chunk_1", MaxOthers: 0.25, MaxVirus: 0.75, Frames: 2})
	r.AddChunk(ChunkCall{ChunkID: "rec_chunk_2"})
	sw.Write(r)
	sw.Write(NewRecordSummary("empty", 2))
	sw.Flush()
	wantSq := SequencesHeader + "rec\t600\t2\t1\t1\t1\t0.75\tok\t0.7500\t1.0000\t0.5000\t0\t0\t0\tViral\treview\t0.0000\t0.0000\t\n" +
		"empty\t2\t0\t0\t0\t0\tNA\tno_orf\tNA\tNA\tNA\t0\t0\t0\tNA\tNA\tNA\tNA\t\n"
	if sq.String() != wantSq {
		t.Fatalf("sequences.tsv:\n%q\nwant\n%q", sq.String(), wantSq)
	}
}

func TestParseCompat(t *testing.T) {
	for _, s := range []string{"broad", "original"} {
		if _, err := ParseCompat(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	if _, err := ParseCompat("pandas"); err == nil {
		t.Error("want an error for an unknown layout")
	}
}

func parsePredictions(t *testing.T, data []byte) []FrameScore {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Scan() // header
	var out []FrameScore
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 4 {
			t.Fatalf("bad row %q", sc.Text())
		}
		s1, err1 := strconv.ParseFloat(f[2], 32)
		s2, err2 := strconv.ParseFloat(f[3], 32)
		if err1 != nil || err2 != nil {
			t.Fatalf("bad scores in %q", sc.Text())
		}
		fs := FrameScore{ID: f[0], Others: float32(s1), Virus: float32(s2)}
		if fs.Label() != f[1] {
			t.Fatalf("%s: label %s from scores, file says %s", f[0], fs.Label(), f[1])
		}
		out = append(out, fs)
	}
	return out
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
