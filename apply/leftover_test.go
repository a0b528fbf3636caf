package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestInterruptedSaysWhatIsLeft: an interrupted online build whose
// clean-up could not run (the apply lock lost and not taken again) says
// that its invalid index is left, not that it was removed.
func TestInterruptedSaysWhatIsLeft(t *testing.T) {
	left := &leftoverError{Err: errors.New("cleaning up the failed build: lock timeout"), Left: "its invalid index may be left"}
	deferred := &DeferredError{Statement: "CREATE INDEX CONCURRENTLY ...", Err: fmt.Errorf("%w; %w", context.Canceled, left)}
	ie := &InterruptedError{Began: true, Committed: true, Pending: 1, Err: context.Canceled, Cause: deferred}
	for _, err := range []error{deferred, ie} {
		msg := err.Error()
		if !strings.Contains(msg, "interrupted") || !strings.Contains(msg, "lock timeout; its invalid index may be left") || strings.Contains(msg, "was removed") {
			t.Errorf("%T says %q", err, msg)
		}
	}
}
