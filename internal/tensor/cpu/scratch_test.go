package cpu

import "testing"

func TestScratchReuse(t *testing.T) {
	b := New(1, nil)
	s := mat(b.NewScratch(3, 4))
	if s.rows != 3 || s.cols != 4 || len(s.data) != 12 {
		t.Fatalf("NewScratch(3, 4) is %d×%d with %d values", s.rows, s.cols, len(s.data))
	}
	first := &s.data[0]
	b.Free(s)
	b.Free(s) // a second Free gives nothing back
	if r := mat(b.NewScratch(2, 5)); &r.data[0] != first || len(r.data) != 10 {
		t.Fatal("a smaller scratch tensor did not reuse the freed memory")
	}
	if r := mat(b.NewScratch(2, 5)); &r.data[0] == first {
		t.Fatal("memory handed out twice")
	}
	// Memory the backend does not own (New's, FromHost's) is never recycled.
	host := make([]float32, 12)
	b.Free(b.FromHost(host, 3, 4))
	b.Free(b.New(3, 4))
	if len(b.scratch.free) != 0 {
		t.Fatalf("%d buffers kept after freeing non-scratch tensors", len(b.scratch.free))
	}
	// The best fit is taken, and at most maxFreeScratch buffers are kept (the largest).
	var ts []*Matrix
	for i := 1; i <= maxFreeScratch+3; i++ {
		ts = append(ts, mat(b.NewScratch(i, 8)))
	}
	for _, m := range ts {
		b.Free(m)
	}
	if len(b.scratch.free) != maxFreeScratch {
		t.Fatalf("%d buffers kept, want %d", len(b.scratch.free), maxFreeScratch)
	}
	for _, f := range b.scratch.free {
		if cap(f) < 4*8 {
			t.Fatalf("a buffer of %d values kept over larger ones", cap(f))
		}
	}
	if r := mat(b.NewScratch(5, 8)); cap(r.data) != 5*8 {
		t.Fatalf("NewScratch(5, 8) took a buffer of %d values, want the best fit", cap(r.data))
	}
}

// TestScratchPoolBoundedByWorkingSet: batches of two models of different widths,
// with token counts that vary from batch to batch, leave the pool owning no more
// than the largest working set of one batch, give or take the size classes' 12.5%
// (before the bound it kept ten buffers of every size it had seen, about twice that).
func TestScratchPoolBoundedByWorkingSet(t *testing.T) {
	var p scratchPool
	shapes := [][]int{{128, 128, 128, 384, 512, 256}, {96, 96, 96, 288, 192, 384}} // per token, per model
	largest := 0
	for batch := range 40 {
		tokens := 8000 + (batch*37)%192 // as packing under an 8192-token budget gives
		if batch%7 == 6 {
			tokens = 700 // a window's last, short batch
		}
		widths := shapes[batch%2]
		var held [][]float32
		set := 0
		for _, w := range widths {
			held = append(held, p.get(tokens*w))
			set += tokens * w
			if owned := p.kept + p.live; owned > max(largest, set)*9/8 {
				t.Fatalf("batch %d: the pool owns %d values, over the largest working set %d", batch, owned, max(largest, set))
			}
		}
		largest = max(largest, set)
		for _, s := range held {
			p.put(s)
		}
		if p.live != 0 {
			t.Fatalf("batch %d: %d values still counted as handed out", batch, p.live)
		}
	}
	if p.kept > largest*9/8 {
		t.Fatalf("the pool keeps %d values after the batches, the largest working set is %d", p.kept, largest)
	}
}
