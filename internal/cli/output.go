package cli

import (
	"io"
	"os"
)

// colorOutput reports whether w should get ANSI colours: only when it is a
// terminal and NO_COLOR is not set to a non-empty value, whatever the value
// (https://no-color.org).
func colorOutput(w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
