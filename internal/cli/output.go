package cli

import (
	"io"
	"os"
)

// colorOutput reports whether w should get ANSI colours: only when it is a
// terminal and NO_COLOR is not set (https://no-color.org), whatever its
// value.
func colorOutput(w io.Writer) bool {
	if _, set := os.LookupEnv("NO_COLOR"); set {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
