package readlabel

import (
	"errors"
	"fmt"
)

// ErrUnknownFormat marks an alignment file whose format cannot be told from its
// content; the command layer advises naming the format.
var ErrUnknownFormat = errors.New("unknown alignment format")

// OptionError is a threshold value out of its range. Option is the threshold's
// name (as the command's flag spells it, without dashes); the command layer turns it
// into flag advice, so library messages carry no flag syntax.
type OptionError struct {
	Option, Value, Reason string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("%s %s: %s", e.Option, e.Value, e.Reason)
}

// OptionName is the option the value belongs to.
func (e *OptionError) OptionName() string { return e.Option }
