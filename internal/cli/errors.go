package cli

// ReportedError is returned by a command that already wrote the details of
// its error where its caller asked (validate --format json writes the
// problems as JSON on stdout). main maps it to the exit code of Err and
// prints nothing more, so that the details do not appear twice.
type ReportedError struct {
	Err error
}

// Error returns the message of the wrapped error.
func (e *ReportedError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error, so that errors.As finds its type.
func (e *ReportedError) Unwrap() error { return e.Err }
