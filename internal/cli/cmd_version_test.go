package cli

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionText(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef"},
		{Key: "vcs.time", Value: "2026-01-02T03:04:05Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	got := versionText(bi)
	for _, want := range []string{"ctxschema v1.2.3\n", "revision: 0123456789abcdef\n", "time:     2026-01-02T03:04:05Z\n", "modified: true\n", "go:       go1.26.8 "} {
		if !strings.Contains(got, want) {
			t.Errorf("versionText lacks %q:\n%s", want, got)
		}
	}

	// Built with -buildvcs=false, by go run, or with no build info at all.
	for _, bi := range []*debug.BuildInfo{nil, {Main: debug.Module{Version: "(devel)"}}} {
		got := versionText(bi)
		for _, want := range []string{"ctxschema devel\n", "revision: unknown\n", "time:     unknown\n", "modified: unknown\n"} {
			if !strings.Contains(got, want) {
				t.Errorf("versionText(%v) lacks %q:\n%s", bi, want, got)
			}
		}
	}
}
