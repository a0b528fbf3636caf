package apply

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Provenance says where a history entry comes from, besides its actor: the
// source revision and the CI run, each "" when unknown.
//
// The revision is GITHUB_SHA when set (a GitHub Actions job), otherwise the
// HEAD commit of the git checkout holding the working directory (git
// rev-parse HEAD); outside a checkout, without git, or when git fails, it
// is "" and nothing is reported. The run is the GitHub Actions run: its URL
// when GITHUB_SERVER_URL and GITHUB_REPOSITORY are set too, else
// GITHUB_RUN_ID.
func Provenance(ctx context.Context) (revision, run string) {
	revision = strings.TrimSpace(os.Getenv("GITHUB_SHA"))
	if revision == "" {
		revision = gitHead(ctx)
	}
	if id := strings.TrimSpace(os.Getenv("GITHUB_RUN_ID")); id != "" {
		run = id
		server, repo := os.Getenv("GITHUB_SERVER_URL"), os.Getenv("GITHUB_REPOSITORY")
		if server != "" && repo != "" {
			run = strings.TrimSuffix(server, "/") + "/" + repo + "/actions/runs/" + id
		}
	}
	return revision, run
}

// gitHead returns the commit the working tree's HEAD names, or "" when
// there is none (not a checkout, no commit yet, no git). A hung git never
// holds up an apply for more than a few seconds.
func gitHead(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "rev-parse", "--verify", "--quiet", "HEAD")
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	head := strings.TrimSpace(string(out))
	for _, r := range head {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return ""
		}
	}
	if len(head) != 40 && len(head) != 64 {
		return ""
	}
	return head
}
