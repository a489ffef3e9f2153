package cuda

import (
	"errors"
	"runtime"
	"sync"
	"syscall"
	"unsafe"
)

// call invokes the C function fn with integer/pointer arguments and returns its
// int32 result (CUresult, cublasStatus_t and nvrtcResult are all C enums).
//
//go:uintptrescapes
func call(fn uintptr, args ...uintptr) int32 {
	return int32(syscallN(fn, args...))
}

// maxTrampolineArgs is how many integer arguments callLong passes.
const maxTrampolineArgs = 20

// purego passes at most 15 arguments; cublasLtMatmul takes 16. callLong goes
// through a tiny x86-64 trampoline that takes (fn, *args) and calls fn with
// args[0..19] laid out by the System V ABI (6 in registers, the rest on the
// stack; a C function ignores the surplus ones).
var (
	trampOnce sync.Once
	trampFn   uintptr
	trampErr  error
)

// trampolineCode returns the machine code of the trampoline.
func trampolineCode() []byte {
	c := []byte{
		0x55,             // push rbp
		0x48, 0x89, 0xe5, // mov rbp, rsp
		0x53,                   // push rbx
		0x48, 0x83, 0xec, 0x78, // sub rsp, 120 (14 stack slots, 16-byte aligned)
		0x49, 0x89, 0xfb, // mov r11, rdi (fn)
		0x48, 0x89, 0xf3, // mov rbx, rsi (args)
	}
	d32 := func(v int) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)} }
	for i := 6; i < maxTrampolineArgs; i++ {
		c = append(c, 0x48, 0x8b, 0x83) // mov rax, [rbx+disp32]
		c = append(c, d32(8*i)...)
		c = append(c, 0x48, 0x89, 0x84, 0x24) // mov [rsp+disp32], rax
		c = append(c, d32(8*(i-6))...)
	}
	regs := [][]byte{
		{0x48, 0x8b, 0xbb}, // mov rdi, [rbx+d32]
		{0x48, 0x8b, 0xb3}, // mov rsi
		{0x48, 0x8b, 0x93}, // mov rdx
		{0x48, 0x8b, 0x8b}, // mov rcx
		{0x4c, 0x8b, 0x83}, // mov r8
		{0x4c, 0x8b, 0x8b}, // mov r9
	}
	for i, r := range regs {
		c = append(c, r...)
		c = append(c, d32(8*i)...)
	}
	c = append(c,
		0x31, 0xc0, // xor eax, eax (no vector registers for varargs callees)
		0x41, 0xff, 0xd3, // call r11
		0x48, 0x8d, 0x65, 0xf8, // lea rsp, [rbp-8]
		0x5b, // pop rbx
		0x5d, // pop rbp
		0xc3, // ret
	)
	return c
}

func initTrampoline() {
	if runtime.GOARCH != "amd64" {
		trampErr = errors.New("calls with more than 15 arguments need the amd64 trampoline (this is " + runtime.GOARCH + ")")
		return
	}
	code := trampolineCode()
	mem, err := syscall.Mmap(-1, 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		trampErr = err
		return
	}
	copy(mem, code)
	if err := syscall.Mprotect(mem, syscall.PROT_READ|syscall.PROT_EXEC); err != nil {
		trampErr = err
		return
	}
	trampFn = uintptr(unsafe.Pointer(&mem[0]))
}

// callLong calls fn with up to 20 integer/pointer arguments.
//
//go:uintptrescapes
func callLong(fn uintptr, args ...uintptr) (int32, error) {
	trampOnce.Do(initTrampoline)
	if trampErr != nil {
		return 0, trampErr
	}
	if len(args) > maxTrampolineArgs {
		return 0, errors.New("callLong: too many arguments")
	}
	block := new([maxTrampolineArgs]uintptr)
	copy(block[:], args)
	r := syscallN(trampFn, fn, uintptr(unsafe.Pointer(block)))
	runtime.KeepAlive(block)
	return int32(r), nil
}

// cString returns s as a NUL-terminated byte slice.
func cString(s string) []byte {
	b := make([]byte, len(s)+1)
	copy(b, s)
	return b
}

// goString copies the NUL-terminated C string at p.
func goString(p uintptr) string {
	if p == 0 {
		return ""
	}
	ptr := *(*unsafe.Pointer)(unsafe.Pointer(&p))
	n := 0
	for *(*byte)(unsafe.Add(ptr, n)) != 0 {
		n++
	}
	return string(unsafe.Slice((*byte)(ptr), n))
}

// keep keeps Go memory whose address was passed to C as a uintptr alive until here.
func keep(v ...any) { runtime.KeepAlive(v) }
