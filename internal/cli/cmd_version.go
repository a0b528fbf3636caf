package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	ucli "github.com/urfave/cli/v2"
)

func versionCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:  "version",
		Usage: "print the version and the source revision the binary was built from",
		Description: "Prints the module version, then the version control revision, its commit\n" +
			"time and whether the working tree had local changes, as Go recorded them at\n" +
			"build time. They read \"unknown\" when the binary was built without them\n" +
			"(go run, go test, -buildvcs=false, or outside a git checkout).",
		CustomHelpTemplate: commandHelp(exitDocOK, exitDoc{1, "error: usage"}),
		Action: func(c *ucli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			bi, _ := buildInfo()
			_, err := fmt.Fprint(e.stdout, versionText(bi))
			return err
		},
	}
}

// versionText describes the build: the version, then the VCS settings that
// Go embeds (vcs.revision, vcs.time, vcs.modified), "unknown" for each that
// is missing, and the Go version and platform. bi may be nil.
func versionText(bi *debug.BuildInfo) string {
	settings := map[string]string{}
	goVersion := runtime.Version()
	version := "devel"
	if bi != nil {
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			version = v
		}
	}
	get := func(key string) string {
		if v := strings.TrimSpace(settings[key]); v != "" {
			return v
		}
		return "unknown"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ctxschema %s\n", version)
	fmt.Fprintf(&b, "revision: %s\n", get("vcs.revision"))
	fmt.Fprintf(&b, "time:     %s\n", get("vcs.time"))
	fmt.Fprintf(&b, "modified: %s\n", get("vcs.modified"))
	fmt.Fprintf(&b, "go:       %s %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
	return b.String()
}
