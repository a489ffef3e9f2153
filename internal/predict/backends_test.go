package predict

// The tests run the models on the CPU driver, which the binary links through
// internal/backends.
import _ "github.com/virnucpro/virnucpro/internal/backends"
