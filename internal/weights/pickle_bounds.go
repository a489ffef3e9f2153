package weights

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// pickleArg is how a pickle opcode's inline argument is laid out.
type pickleArg int8

const (
	argNone  pickleArg = iota
	argFixed           // fixed width, in pickleOps' width
	argLine            // up to a newline
	argLine2           // two newline-terminated lines (GLOBAL, INST)
	argLen1            // 1-byte length, then that many bytes
	argLen4            // 4-byte little-endian length, then that many bytes
	argLen8            // 8-byte little-endian length, then that many bytes
	argFrame           // FRAME: 8-byte length of the frame that follows (not skipped)
)

// pickleOp describes one opcode's argument.
type pickleOp struct {
	arg   pickleArg
	width int
}

// pickleOps is pickletools' opcode table, protocols 0 to 5, as far as argument layout
// goes.
var pickleOps = func() map[byte]pickleOp {
	m := map[byte]pickleOp{}
	for _, c := range []byte("N\x88\x89)t\x85\x86\x87]la}dsu\x8f\x90\x9102(1\x94\x93RbQo\x81\x92.\x97\x98e") {
		m[byte(c)] = pickleOp{arg: argNone}
	}
	for c, w := range map[byte]int{'K': 1, 'M': 2, 'J': 4, 'G': 8, 'h': 1, 'j': 4, 'q': 1, 'r': 4, 0x82: 1, 0x83: 2, 0x84: 4, 0x80: 1} {
		m[c] = pickleOp{arg: argFixed, width: w}
	}
	for _, c := range []byte("ILFSVgpP") {
		m[byte(c)] = pickleOp{arg: argLine}
	}
	m['c'], m['i'] = pickleOp{arg: argLine2}, pickleOp{arg: argLine2}
	for _, c := range []byte{0x8a, 'U', 'C', 0x8c} {
		m[c] = pickleOp{arg: argLen1}
	}
	for _, c := range []byte{0x8b, 'T', 'B', 'X'} {
		m[c] = pickleOp{arg: argLen4}
	}
	for _, c := range []byte{0x8e, 0x8d, 0x96} {
		m[c] = pickleOp{arg: argLen8}
	}
	m[0x95] = pickleOp{arg: argFrame}
	return m
}()

// checkPickleBounds walks a pickle's opcodes without building anything and checks
// that every length, line and frame it declares lies within the bytes present, so
// that the unpickler never allocates what the file merely claims: a 15-byte pickle
// announcing a 2^60-byte string is refused here, naming the opcode's offset.
func checkPickleBounds(data []byte) error {
	pos := 0
	for pos < len(data) {
		at, code := pos, data[pos]
		pos++
		op, ok := pickleOps[code]
		if !ok {
			return fmt.Errorf("unknown opcode 0x%02x at byte %d", code, at)
		}
		rest := len(data) - pos
		need := 0
		switch op.arg {
		case argFixed:
			need = op.width
		case argLine, argLine2:
			lines := 1
			if op.arg == argLine2 {
				lines = 2
			}
			for range lines {
				i := bytes.IndexByte(data[pos+need:], '\n')
				if i < 0 {
					return fmt.Errorf("opcode %q at byte %d: unterminated line", code, at)
				}
				need += i + 1
			}
		case argLen1, argLen4, argLen8, argFrame:
			w := map[pickleArg]int{argLen1: 1, argLen4: 4, argLen8: 8, argFrame: 8}[op.arg]
			if rest < w {
				return fmt.Errorf("opcode 0x%02x at byte %d: truncated length", code, at)
			}
			var n uint64
			switch w {
			case 1:
				n = uint64(data[pos])
			case 4:
				n = uint64(binary.LittleEndian.Uint32(data[pos:]))
				if code == 0x8b || code == 'T' { // LONG4, BINSTRING: signed
					n = uint64(int64(int32(uint32(n))))
				}
			case 8:
				n = binary.LittleEndian.Uint64(data[pos:])
			}
			if n > uint64(rest-w) {
				return fmt.Errorf("opcode 0x%02x at byte %d declares %d bytes, but only %d follow", code, at, int64(n), rest-w)
			}
			need = w
			if op.arg != argFrame {
				need += int(n)
			}
		}
		if need > rest {
			return fmt.Errorf("opcode 0x%02x at byte %d: truncated argument", code, at)
		}
		pos += need
		if code == '.' {
			return nil
		}
	}
	return fmt.Errorf("no STOP opcode (truncated?)")
}
