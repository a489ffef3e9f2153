package report

import (
	"context"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// chromium finds a headless-capable Chromium: $VIRNUCPRO_CHROMIUM, then the usual names.
func chromium() string {
	if p := os.Getenv("VIRNUCPRO_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// writeDemoReport writes the reports of a synthetic run into dir: a prophage inside a
// host contig, a phage genome, a host contig, a short ambiguous record, a record with
// no ORF and ids that need escaping. Scores come from a fixed-seed generator.
func writeDemoReport(t *testing.T, dir string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 2025))
	rr, err := NewRunReport(Options{Dir: dir, Title: "virnucpro report (synthetic demo)",
		Params: []Param{{"input", "synthetic demo chunk table"}, {"chunk size", "500"}}})
	if err != nil {
		t.Fatal(err)
	}
	type segment struct {
		chunks int
		viral  float64 // probability a chunk is viral
	}
	recs := []struct {
		id   string
		segs []segment
	}{
		{"NC_000913.3|host+prophage", []segment{{30, 0.05}, {24, 0.92}, {36, 0.04}}},
		{"phage_T4-like <contig_7>", []segment{{60, 0.9}}},
		{"Bacteroides&contig_12", []segment{{40, 0.06}}},
		{"short_ambiguous", []segment{{3, 0.5}}},
		{"plasmid_pX", []segment{{12, 0.3}, {6, 0.8}, {10, 0.2}}},
	}
	for _, r := range recs {
		n := 0
		for _, s := range r.segs {
			n += s.chunks
		}
		length := (n-1)*500 + 317
		if err := rr.BeginRecord(r.id, length); err != nil {
			t.Fatal(err)
		}
		i := 0
		for _, s := range r.segs {
			for range s.chunks {
				start := i * 500
				if i == n-1 {
					start = length - 500
				}
				c := ChunkRow{Index: i, Start: start, End: min(start+500, length), Frames: 1 + rng.IntN(3)}
				v := 0.55 + 0.45*rng.Float64()
				if rng.Float64() >= s.viral {
					v = 0.45 * rng.Float64()
				}
				if rng.IntN(25) == 0 {
					c.Frames = 0
				}
				c.MaxVirus = float32(v)
				c.MaxOthers = float32(min(1, 1-v+0.1*rng.Float64()))
				if err := rr.AddChunk(c); err != nil {
					t.Fatal(err)
				}
				i++
			}
		}
	}
	if err := rr.BeginRecord("no_orf_record", 240); err != nil {
		t.Fatal(err)
	}
	if err := rr.AddChunk(ChunkRow{Index: 0, Start: 0, End: 240}); err != nil {
		t.Fatal(err)
	}
	if err := rr.Finish(); err != nil {
		t.Fatal(err)
	}
}

// TestReportRendersInChromium renders report.html with headless Chromium and checks the
// screenshot is not blank and shows the plots' colours. It skips when Chromium is
// absent (.ci/run installs Debian's chromium). VIRNUCPRO_DEMO_HTML renders another
// report.html; VIRNUCPRO_DEMO_PNG keeps the screenshot (docs/report-demo.sh).
func TestReportRendersInChromium(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("chromium not found (install Debian's chromium or set VIRNUCPRO_CHROMIUM); report.html not rendered")
	}
	page := os.Getenv("VIRNUCPRO_DEMO_HTML")
	if page == "" {
		dir := t.TempDir()
		writeDemoReport(t, dir)
		page = filepath.Join(dir, HTMLFile)
	}
	page, err := filepath.Abs(page)
	if err != nil {
		t.Fatal(err)
	}
	shot := os.Getenv("VIRNUCPRO_DEMO_PNG")
	if shot == "" {
		shot = filepath.Join(t.TempDir(), "report.png")
	} else if shot, err = filepath.Abs(shot); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--user-data-dir="+t.TempDir(), "--screenshot="+shot, "--window-size=1280,1700", "file://"+page)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", bin, err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v\n%s", err, out)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	b := img.Bounds()
	var nonWhite, red, blue int
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			if r < 240 || g < 240 || bl < 240 {
				nonWhite++
			}
			if r > 180 && g < 80 && bl < 80 {
				red++ // viral segments
			}
			if bl > 110 && r < 60 && g < 90 {
				blue++ // non-viral segments
			}
		}
	}
	total := b.Dx() * b.Dy()
	t.Logf("%dx%d screenshot: %d non-white, %d red, %d blue pixels", b.Dx(), b.Dy(), nonWhite, red, blue)
	if nonWhite < total/50 {
		t.Errorf("screenshot looks blank: %d of %d pixels non-white", nonWhite, total)
	}
	if os.Getenv("VIRNUCPRO_DEMO_HTML") == "" && (red < 200 || blue < 200) {
		t.Errorf("plots not visible: %d red and %d blue pixels", red, blue)
	}
}
