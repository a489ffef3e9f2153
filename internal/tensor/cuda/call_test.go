//go:build !static

package cuda

import (
	"fmt"
	"runtime"
	"testing"
	"unsafe"

	"github.com/ebitengine/purego"
)

// TestCallLong checks the 20-argument trampoline against libc's snprintf, which
// needs no GPU: every argument must arrive in its place.
func TestCallLong(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("trampoline is linux/amd64 only")
	}
	libc, err := purego.Dlopen("libc.so.6", purego.RTLD_NOW)
	if err != nil {
		t.Skipf("no libc.so.6: %v", err)
	}
	snprintf, err := purego.Dlsym(libc, "snprintf")
	if err != nil {
		t.Skipf("no snprintf: %v", err)
	}
	buf := make([]byte, 256)
	format := cString("%ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld")
	args := []uintptr{uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), uintptr(unsafe.Pointer(&format[0]))}
	want := ""
	for i := 1; i <= 17; i++ {
		args = append(args, uintptr(i*1000+i))
		if i > 1 {
			want += " "
		}
		want += fmt.Sprint(i*1000 + i)
	}
	n, err := callLong(snprintf, args...)
	runtime.KeepAlive(format)
	if err != nil {
		t.Fatal(err)
	}
	got := goString(uintptr(unsafe.Pointer(&buf[0])))
	if got != want || int(n) != len(want) {
		t.Fatalf("snprintf via trampoline = %q (%d), want %q", got, n, want)
	}
}
