package predict

import "testing"

func TestShardSpec(t *testing.T) {
	tests := []struct {
		in      string
		want    ShardSpec
		wantErr bool
	}{
		{"", ShardSpec{}, false},
		{"0/1", ShardSpec{0, 1}, false},
		{"2/5", ShardSpec{2, 5}, false},
		{"5/5", ShardSpec{}, true},
		{"-1/3", ShardSpec{}, true},
		{"1", ShardSpec{}, true},
		{"a/b", ShardSpec{}, true},
		{"0/0", ShardSpec{}, true},
	}
	for _, tc := range tests {
		got, err := ParseShardSpec(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseShardSpec(%q) = %v, %v", tc.in, got, err)
		}
	}
	// Every record is owned by exactly one of N shards.
	for n := 1; n <= 5; n++ {
		for r := 0; r < 50; r++ {
			owners := 0
			for i := 0; i < n; i++ {
				if (ShardSpec{i, n}).Owns(r) {
					owners++
				}
			}
			if owners != 1 {
				t.Fatalf("record %d has %d owners among %d shards", r, owners, n)
			}
		}
	}
}
