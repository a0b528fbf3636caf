package dialect

import (
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Mask is what Redact puts in place of a password.
const Mask = "xxxxx"

// Redact returns s, a database URL or anything a user may have typed for
// one, with every password replaced by Mask. It is the one redactor of
// ctxschema: every message that names a database passes through it.
//
// A URL that parses is redacted by its parts: the user information's
// password and the value of every query parameter whose name contains
// "pass" in any case (password, sslpassword, PASSWORD, _auth_pass). Text
// that does not parse as a URL with a host — a typo such as
// postgres:/u:pw@h or postgres//u:pw@h, a truncated postgres://u:pw, a
// libpq keyword string host=h password=pw — is masked by shape: such
// key=value pairs, everything between the first colon of the user
// information and the last @, and a non-numeric "port" where no @ follows.
// It may mask too much; it never masks too little.
func Redact(s string) string {
	r, _ := redact(s)
	return r
}

// Secrets returns the passwords that Redact masks in s, each as written and
// percent-decoded and -encoded as drivers may echo them, so that a caller
// can scrub them from text that quotes them out of context (a driver's
// error, a flag taken as an argument). It returns nil when s holds none.
func Secrets(s string) []string {
	_, found := redact(s)
	seen := map[string]bool{}
	var out []string
	add := func(v string) {
		if v != "" && v != Mask && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	for _, v := range found {
		add(v)
		for _, d := range []string{unescape(v, url.PathUnescape), unescape(v, url.QueryUnescape)} {
			add(d)
			add(url.QueryEscape(d))
			add(url.PathEscape(d))
		}
	}
	return out
}

func unescape(s string, f func(string) (string, error)) string {
	if d, err := f(s); err == nil {
		return d
	}
	return s
}

// The expressions are compiled on first use, not at every start-up: most
// runs redact only arguments that cannot hold a password (see redact).
var (
	// secretParam is a key=value pair whose key names a password, in a URL
	// query or a libpq keyword string; the value is a quoted '…' string or
	// runs to the next &, ; or white space.
	secretParam = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)((?:^|[?&;\s])[^=&;\s?/:@]*pass[^=&;\s?/:@]*\s*=\s*)('(?:[^'\\]|\\.)*'?|[^&;\s]*)`)
	})
	// schemePrefix is a scheme and the slashes after it, however mistyped:
	// "postgres://", "postgres:/", "postgres//".
	schemePrefix = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.\-]*(?::/+|/{2,})`)
	})
)

// redact returns s redacted and the texts it masked.
func redact(s string) (string, []string) {
	// Every password redactText finds sits after a colon (a URL's user
	// information, a scheme's "port") or an equals sign (key=value): text
	// with neither, such as most command-line arguments, holds none, and
	// is not worth compiling the expressions at every start-up.
	if !strings.ContainsAny(s, ":=") {
		return s, nil
	}
	return redactText(s)
}

// redactText is redact without the short cut.
func redactText(s string) (string, []string) {
	var found []string
	maskParams := func(t string) string {
		re := secretParam()
		return re.ReplaceAllStringFunc(t, func(m string) string {
			sub := re.FindStringSubmatch(m)
			if sub[2] == "" {
				return m
			}
			found = append(found, sub[2], strings.Trim(sub[2], "'"))
			return sub[1] + Mask
		})
	}
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Opaque == "" && (u.Host != "" || u.User != nil) {
		if p, ok := u.User.Password(); ok {
			found = append(found, p)
			u.User = url.UserPassword(u.User.Username(), Mask)
		}
		// The query is masked as text: url.Values would drop a pair it
		// cannot parse (a ; separator) and keep its password in RawQuery.
		u.RawQuery = maskParams(u.RawQuery)
		// A key may be percent-encoded (p%61ssword), which the text does
		// not show: then the query is re-encoded with every such value
		// masked.
		q, reencode := u.Query(), false
		for k, vs := range q {
			if !strings.Contains(strings.ToLower(k), "pass") {
				continue
			}
			for i, v := range vs {
				if v != Mask {
					found = append(found, v)
					vs[i], reencode = Mask, true
				}
			}
		}
		if reencode {
			u.RawQuery = q.Encode()
		}
		u.Fragment, u.RawFragment = maskParams(u.Fragment), ""
		if len(found) == 0 {
			return s, nil // as written: no re-encoding of a URL without secrets
		}
		return u.String(), found
	}
	t := maskParams(s)
	prefix := schemePrefix().FindString(t)
	rest := t[len(prefix):]
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if colon := strings.Index(rest[:at], ":"); colon >= 0 {
			found = append(found, rest[colon+1:at])
			return prefix + rest[:colon+1] + Mask + rest[at:], found
		}
		return t, found
	}
	if prefix != "" {
		// postgres://user:pw, cut before the host: the "port" is no number.
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		if colon := strings.Index(rest[:end], ":"); colon >= 0 && strings.Trim(rest[colon+1:end], "0123456789") != "" {
			found = append(found, rest[colon+1:end])
			return prefix + rest[:colon+1] + Mask + rest[end:], found
		}
	}
	return t, found
}

// minSecret is the length below which a password alone is not scrubbed
// from text: masking every "pw" would mangle the text (and its SQL) while
// protecting nothing such a password could.
const minSecret = 4

// Scrubber removes database URLs and their passwords from text that may
// quote them out of context: a driver's error, a flag value taken for an
// argument. Each value that holds a password is replaced by its Redact
// form, then each of its Secrets by Mask. It is not safe for concurrent
// use.
type Scrubber struct {
	values   []string
	bare     []string
	needles  []string
	replacer *strings.Replacer
}

// NewScrubber returns a Scrubber for the values vs (URLs, command-line
// arguments); values without a password are ignored.
func NewScrubber(vs ...string) *Scrubber {
	s := &Scrubber{}
	s.Add(vs...)
	return s
}

// Add makes s scrub the values vs too (a URL read from a project file).
func (s *Scrubber) Add(vs ...string) {
	added := false
	for _, v := range vs {
		if len(Secrets(v)) > 0 && !slices.Contains(s.values, v) {
			s.values = append(s.values, v)
			added = true
		}
	}
	if added {
		s.rebuild()
	}
}

// AddSecret makes s mask each of secrets, bare secrets that are no URL (an
// API token), wherever it appears; empty ones and those shorter than
// minSecret are ignored.
func (s *Scrubber) AddSecret(secrets ...string) {
	added := false
	for _, v := range secrets {
		if len(v) >= minSecret && !slices.Contains(s.bare, v) {
			s.bare = append(s.bare, v)
			added = true
		}
	}
	if added {
		s.rebuild()
	}
}

// rebuild makes the replacer of every value and secret.
func (s *Scrubber) rebuild() {
	s.needles = nil
	var pairs []string
	secrets := append([]string(nil), s.bare...)
	for _, v := range s.values {
		s.needles = append(s.needles, v)
		pairs = append(pairs, v, Redact(v))
		secrets = append(secrets, Secrets(v)...)
	}
	// Longer secrets first: the replacer prefers earlier pairs at a
	// position, and a secret may contain a shorter one (its decoded form).
	sort.SliceStable(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	seen := map[string]bool{}
	for _, p := range secrets {
		if len(p) >= minSecret && !seen[p] && !slices.Contains(s.values, p) {
			seen[p] = true
			s.needles = append(s.needles, p)
			pairs = append(pairs, p, Mask)
		}
	}
	s.replacer = strings.NewReplacer(pairs...)
}

// Scrub returns text without the scrubber's values and passwords.
func (s *Scrubber) Scrub(text string) string {
	if len(s.needles) == 0 {
		return text
	}
	return s.replacer.Replace(text)
}

// Needles returns the strings Scrub replaces.
func (s *Scrubber) Needles() []string { return s.needles }
