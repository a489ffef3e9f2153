//go:build !amd64

package weights

// widenLevels is the Go reference only on this architecture.
func widenLevels() []widenLevel { return []widenLevel{widenGo} }

func widenKernel(level widenLevel, bf16 bool, dst []float32, src []byte) int { return 0 }

func finiteKernel(level widenLevel, src []float32) int { return 0 }
