package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/quote"
	"github.com/ctxschema/ctxschema/internal/render"
	"github.com/ctxschema/ctxschema/plan"
)

// applyView is how apply reports, in the format --format chose: the plan
// before it asks or applies, what it is doing while it runs, and how it
// ended.
type applyView interface {
	// plan shows the plan about to be applied, with its refusal if any.
	plan(p *plan.Plan, ro render.Options) error
	// event reports what apply.Run is doing (apply.Options.Events).
	event(e apply.Event)
	// showsProgress reports whether the view shows how far online index
	// builds have come: apply.Run reads it only then
	// (apply.Options.Progress).
	showsProgress() bool
	// refused reports err, the error of apply.Run once the plan was shown:
	// a refusal found under the lock is reported with its details.
	refused(err error) error
	// complete reports a finished apply of p, or that there was nothing
	// to do when p is empty.
	complete(p *plan.Plan) error
	// outcome reports err, the error apply ended with (nil on success),
	// where the view reports errors, and returns the error for main: a
	// *ReportedError when the view reported it.
	outcome(err error) error
	// flush writes what the view holds back, before something else is
	// written to stderr.
	flush()
}

// textApplyView is apply's view for people: the plan and the summary on
// stdout, what it is doing on stderr, errors left to main (stderr).
type textApplyView struct {
	e    *env
	opts applyOptions
	// progress holds the events' lines back for a moment (see lagWriter);
	// every other method of the view flushes it first.
	progress *lagWriter
}

func newTextApplyView(e *env, opts applyOptions) (applyView, error) {
	return &textApplyView{e: e, opts: opts, progress: newLagWriter(e.stderr, progressLag)}, nil
}

func (v *textApplyView) flush() { v.progress.Flush() } //nolint:errcheck // as Fprintln's to stderr

func (v *textApplyView) plan(p *plan.Plan, ro render.Options) error {
	return render.Plan(v.e.stdout, p, ro)
}

func (v *textApplyView) event(e apply.Event) {
	fmt.Fprintln(v.progress, eventMessage(e, v.opts.LockTimeout))
}

// showsProgress implements applyView: progress of online builds comes every
// second, only for a person watching, or when asked (--progress).
func (v *textApplyView) showsProgress() bool { return v.opts.Progress }

func (v *textApplyView) complete(p *plan.Plan) error {
	v.flush()
	if p.Empty() {
		// The plan view said there is nothing to do.
		return nil
	}
	_, err := fmt.Fprintln(v.e.stdout, summaryLine(p))
	return err
}

func (v *textApplyView) refused(err error) error {
	v.flush()
	return refused(v.e, err, v.opts.NoColor)
}

func (v *textApplyView) outcome(err error) error {
	v.flush()
	return err
}

// jsonApplyView is apply's view for tools: one JSON object per line on
// stdout (see eventDoc), ending with apply_complete or error.
type jsonApplyView struct {
	e    *env
	opts applyOptions
	// err is the first error writing to stdout.
	err error
}

func newJSONApplyView(e *env, opts applyOptions) (applyView, error) {
	if !opts.AutoApprove && opts.PlanFile == "" {
		return nil, errors.New("apply --format json cannot ask for confirmation: review the plan and rerun with --auto-approve, or apply a saved plan file")
	}
	return &jsonApplyView{e: e, opts: opts}, nil
}

// eventDoc is one line of apply --format json. Every line has
// format_version, type, time (RFC 3339, UTC) and message (the line the
// text view writes); the other fields come with the types that have them
// and are left out otherwise.
type eventDoc struct {
	FormatVersion string `json:"format_version"`
	Type          string `json:"type"`
	Time          string `json:"time"`
	Message       string `json:"message"`
	// Plan is the plan about to be applied (plan).
	Plan *render.Document `json:"plan,omitempty"`
	// Holder names the holder of the apply lock (lock_waiting).
	Holder string `json:"holder,omitempty"`
	// Change is the change an event is about (change_*, build_*).
	Change *eventChangeDoc `json:"change,omitempty"`
	// Statement is an online build's SQL (build_start).
	Statement string `json:"statement,omitempty"`
	// Phase, Done and Total are a build's progress (build_progress).
	Phase string `json:"phase,omitempty"`
	Done  *int64 `json:"done,omitempty"`
	Total *int64 `json:"total,omitempty"`
	// ElapsedMS is how long it took, in milliseconds with microseconds
	// as decimals (change_done, commit, build_done).
	ElapsedMS *float64 `json:"elapsed_ms,omitempty"`
	// Summary counts what an apply did (apply_complete).
	Summary *render.SummaryDoc `json:"summary,omitempty"`
	// Refusal and Problems detail an error: why apply refused, or the
	// problems of the schema files.
	Refusal  *render.RefusalDoc `json:"refusal,omitempty"`
	Problems []problemDoc       `json:"problems,omitempty"`
}

// eventChangeDoc names the change of an event, as the plan document does.
type eventChangeDoc struct {
	Action string           `json:"action"`
	Object render.ObjectDoc `json:"object"`
}

// The event types only the CLI writes; the others are apply.EventType.
const (
	eventPlan     = "plan"
	eventComplete = "apply_complete"
	eventError    = "error"
)

func (v *jsonApplyView) write(d eventDoc) {
	d.FormatVersion = render.FormatVersion
	if d.Time == "" {
		d.Time = eventTime(time.Now())
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err == nil {
		_, err = v.e.stdout.Write(quote.JSON(buf.Bytes()))
		if v.err == nil {
			v.err = err
		}
	} else if v.err == nil {
		v.err = err
	}
}

func (v *jsonApplyView) plan(p *plan.Plan, ro render.Options) error {
	ro.Format, ro.Color = render.JSON, false
	doc := render.NewDocument(p, ro)
	msg := "no changes"
	if !p.Empty() {
		msg = planLine(p)
	}
	v.write(eventDoc{Type: eventPlan, Message: msg, Plan: &doc})
	return v.err
}

// showsProgress implements applyView: build_progress is part of the
// stream, for the tools that read it.
func (v *jsonApplyView) showsProgress() bool { return true }

func (v *jsonApplyView) event(e apply.Event) {
	d := eventDoc{Type: string(e.Type), Time: eventTime(e.Time), Message: eventMessage(e, v.opts.LockTimeout),
		Holder: e.Holder, Statement: e.Statement, Phase: e.Phase}
	if e.Step != nil && e.Step.Change != nil {
		o := e.Step.Change.Object()
		d.Change = &eventChangeDoc{Action: e.Step.Change.Action().String(), Object: render.ObjectDoc{Kind: string(o.Kind), Name: o.Name}}
	}
	switch e.Type {
	case apply.BuildProgress:
		d.Done, d.Total = &e.Done, &e.Total
	case apply.ChangeDone, apply.BuildDone, apply.Committed:
		ms := float64(e.Elapsed.Microseconds()) / 1000
		d.ElapsedMS = &ms
	}
	v.write(d)
}

// refused leaves err to outcome, which writes it as the error event, with
// its refusal.
func (v *jsonApplyView) refused(err error) error { return err }

func (v *jsonApplyView) complete(p *plan.Plan) error {
	s := p.Summary()
	v.write(eventDoc{Type: eventComplete, Message: summaryLine(p),
		Summary: &render.SummaryDoc{Create: s.Create, Update: s.Update, Delete: s.Delete}})
	return v.err
}

// outcome writes every error as the stream's last event, so that a tool
// reads the whole story on stdout; main then prints nothing more.
// flush implements applyView: the JSON view holds nothing back.
func (v *jsonApplyView) flush() {}

func (v *jsonApplyView) outcome(err error) error {
	if err == nil {
		return v.err
	}
	d := eventDoc{Type: eventError, Message: err.Error()}
	if r, ok := apply.RefusalOf(err); ok {
		doc := render.NewRefusalDoc(r)
		d.Refusal = &doc
	}
	var problems *model.Problems
	if errors.As(err, &problems) {
		d.Problems = problemDocs(problems.List)
		d.Message = fmt.Sprintf("the schema files have %s", plural(problems.Errors(), "error"))
	}
	v.write(d)
	var reported *ReportedError
	if errors.As(err, &reported) {
		return err
	}
	return &ReportedError{Err: err}
}

// eventTime writes t as JSON events do: RFC 3339 in UTC, with fractions of
// a second.
func eventTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

// eventMessage is the line that says what an event reports, for people:
// "+ profile attribute Title: created in 12ms".
func eventMessage(e apply.Event, lockTimeout time.Duration) string {
	var what string
	var a plan.Action
	if e.Step != nil && e.Step.Change != nil {
		o := e.Step.Change.Object()
		a = e.Step.Change.Action()
		what = fmt.Sprintf("%s %s %s", a.Symbol(), o.Kind, o.Name)
	}
	switch e.Type {
	case apply.LockWaiting:
		return fmt.Sprintf("waiting for the apply lock held by %s (up to %s, --lock-timeout)", e.Holder, lockTimeout)
	case apply.ChangeStart:
		return what + ": " + actionVerb(a, false) + "…"
	case apply.ChangeDone:
		return what + ": " + actionVerb(a, true) + " in " + elapsed(e.Elapsed)
	case apply.Committed:
		return "committed in " + elapsed(e.Elapsed)
	case apply.BuildStart:
		return what + ": building the index online, after the commit…"
	case apply.BuildProgress:
		if e.Total > 0 {
			return fmt.Sprintf("%s: %s: %d%%", what, e.Phase, e.Done*100/e.Total)
		}
		return fmt.Sprintf("%s: %s: %d", what, e.Phase, e.Done)
	case apply.BuildDone:
		return what + ": built in " + elapsed(e.Elapsed)
	}
	return string(e.Type)
}

// actionVerb says what a change of action a is doing ("creating") or did
// ("created").
func actionVerb(a plan.Action, done bool) string {
	verbs := map[plan.Action][2]string{
		plan.Create:  {"creating", "created"},
		plan.Update:  {"updating", "updated"},
		plan.Delete:  {"deleting", "deleted"},
		plan.Replace: {"replacing", "replaced"},
		plan.Rename:  {"renaming", "renamed"},
		plan.Repair:  {"repairing", "repaired"},
	}
	v, ok := verbs[a]
	if !ok {
		v = [2]string{"applying", "applied"}
	}
	if done {
		return v[1]
	}
	return v[0]
}

// elapsed writes a duration for people: 450µs, 12ms, 1.2s, 1m5s.
func elapsed(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// planLine is the text view's summary line of a plan.
func planLine(p *plan.Plan) string {
	s := p.Summary()
	return fmt.Sprintf("Plan: %d to create, %d to update, %d to delete.", s.Create, s.Update, s.Delete)
}
