package embedfile

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// maxToken bounds a header string or number held in memory (keys, dtype, format):
// only the ids value may be long, and it is streamed, never held.
const maxToken = 1 << 16

// headerScanner reads a safetensors JSON header one byte at a time, so that a long
// value (the ids) can be skipped or streamed without holding it.
type headerScanner struct {
	br  *bufio.Reader
	off int64 // bytes consumed, from the header's first byte
}

func (s *headerScanner) next() (byte, error) {
	c, err := s.br.ReadByte()
	if err != nil {
		return 0, noEOF(err)
	}
	s.off++
	return c, nil
}

// nonSpace returns the next byte that is not JSON white space.
func (s *headerScanner) nonSpace() (byte, error) {
	for {
		c, err := s.next()
		if err != nil || (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			return c, err
		}
	}
}

// expect consumes the next non-space byte, which must be want.
func (s *headerScanner) expect(want byte) error {
	c, err := s.nonSpace()
	if err == nil && c != want {
		err = fmt.Errorf("%q at byte %d where %q was due", c, s.off-1, want)
	}
	return err
}

// rawString reads the rest of a string whose opening quote was consumed and returns
// its raw JSON text (quotes included) when keep, else nothing; at most maxToken
// bytes are kept.
func (s *headerScanner) rawString(keep bool) ([]byte, error) {
	raw := []byte{'"'}
	escaped := false
	for {
		c, err := s.next()
		if err != nil {
			return nil, err
		}
		if keep {
			if len(raw) >= maxToken {
				return nil, fmt.Errorf("a string of more than %d bytes at byte %d", maxToken, s.off)
			}
			raw = append(raw, c)
		}
		switch {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case c == '"':
			return raw, nil
		}
	}
}

// str reads the rest of a (short) string and decodes it.
func (s *headerScanner) str() (string, error) {
	raw, err := s.rawString(true)
	if err != nil {
		return "", err
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", fmt.Errorf("string at byte %d: %v", s.off, err)
	}
	return v, nil
}

// value reads a value whose first byte c was consumed and returns its JSON text; a
// string is skipped instead (nil) when it is not kept.
func (s *headerScanner) value(c byte, keepStrings bool) ([]byte, error) {
	switch c {
	case '"':
		return s.rawString(keepStrings)
	case '{', '[':
		out := []byte{c}
		depth := 1
		for depth > 0 {
			c, err := s.nonSpace()
			if err != nil {
				return nil, err
			}
			if c == '"' {
				raw, err := s.rawString(true)
				if err != nil {
					return nil, err
				}
				out = append(out, raw...)
			} else {
				out = append(out, c)
			}
			switch c {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			if len(out) > maxToken {
				return nil, fmt.Errorf("a value of more than %d bytes at byte %d", maxToken, s.off)
			}
		}
		return out, nil
	}
	out := []byte{c} // number, true, false, null: up to a delimiter
	for {
		b, err := s.br.Peek(1)
		if err != nil {
			return nil, noEOF(err)
		}
		if b[0] == ',' || b[0] == '}' || b[0] == ']' || b[0] == ' ' || b[0] == '\n' || b[0] == '\t' || b[0] == '\r' {
			return out, nil
		}
		if len(out) >= maxToken {
			return nil, fmt.Errorf("a value of more than %d bytes at byte %d", maxToken, s.off)
		}
		c, _ := s.next()
		out = append(out, c)
	}
}

// object calls field for every key of an object whose '{' was consumed; field
// consumes the value, whose first byte it is given.
func (s *headerScanner) object(field func(key string, first byte) error) error {
	for i := 0; ; i++ {
		c, err := s.nonSpace()
		if err != nil {
			return err
		}
		if c == '}' && i == 0 {
			return nil
		}
		if i > 0 {
			if c == '}' {
				return nil
			}
			if c != ',' {
				return fmt.Errorf("%q at byte %d where ',' or '}' was due", c, s.off-1)
			}
			if c, err = s.nonSpace(); err != nil {
				return err
			}
		}
		if c != '"' {
			return fmt.Errorf("%q at byte %d where a key was due", c, s.off-1)
		}
		key, err := s.str()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		first, err := s.nonSpace()
		if err != nil {
			return err
		}
		if err := field(key, first); err != nil {
			return err
		}
	}
}

// stringReader yields the decoded content of a JSON string read from br, whose
// opening quote was consumed, and io.EOF at its closing quote. It holds a few bytes.
type stringReader struct {
	br      *bufio.Reader
	pending []byte // decoded bytes not yet returned
	done    bool
}

func (r *stringReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(r.pending) > 0 {
			k := copy(p[n:], r.pending)
			r.pending = r.pending[k:]
			n += k
			continue
		}
		if r.done {
			break
		}
		if err := r.decodeOne(); err != nil {
			return n, err
		}
	}
	if n == 0 && r.done {
		return 0, io.EOF
	}
	return n, nil
}

// simpleEscapes maps the letter of a one-letter JSON escape to its byte.
var simpleEscapes = map[byte]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// decodeOne decodes the next character or escape of the string into r.pending.
func (r *stringReader) decodeOne() error {
	c, err := r.br.ReadByte()
	if err != nil {
		return noEOF(err)
	}
	switch {
	case c == '"':
		r.done = true
		return nil
	case c < 0x20:
		return fmt.Errorf("control character %#x in a string", c)
	case c != '\\':
		r.pending = append(r.pending[:0], c)
		return nil
	}
	if c, err = r.br.ReadByte(); err != nil {
		return noEOF(err)
	}
	if e, ok := simpleEscapes[c]; ok {
		r.pending = append(r.pending[:0], e)
		return nil
	}
	if c != 'u' {
		return fmt.Errorf("invalid escape \\%c in a string", c)
	}
	ru, err := r.hex4()
	if err != nil {
		return err
	}
	if utf16.IsSurrogate(ru) {
		// As encoding/json: a valid pair \uD8xx\uDCxx is one rune; otherwise the
		// surrogate is U+FFFD and what follows is decoded on its own.
		lo := rune(-1)
		if b, _ := r.br.Peek(6); len(b) == 6 && b[0] == '\\' && b[1] == 'u' {
			lo = hexValue(b[2:])
		}
		if dec := utf16.DecodeRune(ru, lo); lo >= 0 && dec != utf8.RuneError {
			r.br.Discard(6)
			ru = dec
		} else {
			ru = utf8.RuneError
		}
	}
	r.pending = utf8.AppendRune(r.pending[:0], ru)
	return nil
}

func (r *stringReader) hex4() (rune, error) {
	var b [4]byte
	if _, err := io.ReadFull(r.br, b[:]); err != nil {
		return 0, noEOF(err)
	}
	v := hexValue(b[:])
	if v < 0 {
		return 0, errors.New("invalid \\u escape in a string")
	}
	return v, nil
}

// hexValue is the value of four hex digits, or -1.
func hexValue(b []byte) rune {
	var v rune
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			v = v<<4 | rune(c-'A'+10)
		default:
			return -1
		}
	}
	return v
}

// noEOF turns io.EOF inside a structure into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
