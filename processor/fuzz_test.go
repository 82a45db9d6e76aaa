package processor_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/integration-events/integration-events/policy"
	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/redact"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/test"
	"github.com/integration-events/integration-events/workload"
)

const fuzzIntegration = "fuzz-int"

// maxReasonBytes bounds a dead-letter reason: the reason header carries at
// most 1024 bytes, and a reason must not grow with the payload.
const maxReasonBytes = 1024

func TestBadOutcomesAreRejectedWithTheirReason(t *testing.T) {
	const id = "poison"
	inputs := test.BadOutcomes(id)
	if len(inputs) < 35 {
		t.Fatalf("%d bad inputs, want at least 35", len(inputs))
	}
	names := map[string]bool{}
	payloads := map[string]string{}
	runSubject := subjects.Default().Run(id)
	for _, in := range inputs {
		if names[in.Name] {
			t.Errorf("bad input name %q is used twice", in.Name)
		}
		names[in.Name] = true
		if in.Reason == "" {
			t.Errorf("%s: no reason to expect", in.Name)
		}
		key := in.Subject + "\x00" + string(in.Data)
		if other, dup := payloads[key]; dup {
			t.Errorf("%s: same subject and payload as %s", in.Name, other)
		}
		payloads[key] = in.Name
		if in.Subject != runSubject {
			// A bad subject is refused before the payload is read.
			_, err := subjects.IntegrationFrom(in.Subject, subjects.Default().RunsPrefix())
			if err == nil || !strings.Contains(err.Error(), in.Reason) {
				t.Errorf("%s: subject %q: error %v, want one containing %q", in.Name, in.Subject, err, in.Reason)
			}
			continue
		}
		_, err := subjects.DecodeOutcome(id, in.Data)
		switch {
		case err == nil:
			t.Errorf("%s: accepted", in.Name)
		case !errors.Is(err, subjects.ErrBadInput):
			t.Errorf("%s: error %q does not wrap ErrBadInput", in.Name, err)
		case !strings.Contains(err.Error(), in.Reason):
			t.Errorf("%s: reason %q, want it to contain %q", in.Name, err, in.Reason)
		case len(err.Error()) > maxReasonBytes:
			t.Errorf("%s: reason is %d bytes, over %d: %.200q...", in.Name, len(err.Error()), maxReasonBytes, err)
		case !utf8.ValidString(err.Error()):
			t.Errorf("%s: reason is not valid UTF-8: %q", in.Name, err)
		}
	}
}

func FuzzDecodeOutcome(f *testing.F) {
	for _, in := range test.BadOutcomes(fuzzIntegration) {
		f.Add(in.Data)
	}
	for _, o := range []subjects.RunOutcome{
		workload.Succeeded(fuzzIntegration, "ok-1"),
		workload.Failed(fuzzIntegration, "v-1", subjects.StageValidate, 0),
		workload.Failed(fuzzIntegration, "m-1", subjects.StageMap, 0),
		workload.Failed(fuzzIntegration, "a-1", subjects.StageAuthenticate, 0),
		workload.Failed(fuzzIntegration, "p-1", subjects.StagePerform, 0),
		workload.Failed(fuzzIntegration, "p-401", subjects.StagePerform, 401),
		workload.Failed(fuzzIntegration, "p-500", subjects.StagePerform, 500),
	} {
		b, err := json.Marshal(o)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := processor.Admit(fuzzIntegration, data, time.Unix(0, 0))
		if err != nil {
			checkRejection(t, err)
			return
		}
		checkAccepted(t, &o)
	})
}

// checkRejection: a refused outcome is bad input with a precise, bounded reason.
func checkRejection(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, subjects.ErrBadInput) {
		t.Fatalf("error %q does not wrap ErrBadInput", err)
	}
	reason, ok := strings.CutPrefix(err.Error(), subjects.ErrBadInput.Error()+": ")
	if !ok || strings.TrimSpace(reason) == "" {
		t.Fatalf("error %q has no reason after %q", err, subjects.ErrBadInput.Error()+": ")
	}
	if len(err.Error()) > maxReasonBytes {
		t.Fatalf("reason is %d bytes, over %d: %.200q...", len(err.Error()), maxReasonBytes, err)
	}
	// It goes into a JSON body and a header, which must agree.
	if !utf8.ValidString(err.Error()) {
		t.Fatalf("reason is not valid UTF-8: %q", err)
	}
}

// checkAccepted: an accepted outcome is valid, classifies, and becomes
// events that encode and carry no credential in an Authorization header.
func checkAccepted(t *testing.T, o *subjects.RunOutcome) {
	t.Helper()
	if err := o.Validate(fuzzIntegration); err != nil {
		t.Fatalf("decoded outcome does not validate: %v", err)
	}
	if o.Status == subjects.StatusFailed {
		if _, ok := processor.Classify(o.Destination, o.Failure); !ok {
			t.Fatalf("failure at stage %q does not classify", o.Failure.Stage)
		}
	}
	// Once as the first failure, once as the one that disables.
	for _, before := range []subjects.FailureCounter{
		{},
		{IntegrationID: fuzzIntegration, ConsecutiveFailures: processor.DefaultDisableAfter - 1, DisableAfter: processor.DefaultDisableAfter},
	} {
		next, tr := processor.ApplyOutcome(before, o, 7, policy.After(processor.DefaultDisableAfter).Top())
		eff := processor.BuildEffects(&next, o, tr)
		if o.Status == subjects.StatusFailed && len(eff.Events) == 0 {
			t.Fatal("a failed outcome raised no event")
		}
		for _, ev := range eff.Events {
			b, err := json.Marshal(ev.Data)
			if err != nil {
				t.Fatalf("event %s data does not marshal: %v", ev.Kind, err)
			}
			if _, err := processor.EncodeCloudEvent(ev.ID, ev.Kind.EventName(), fuzzIntegration, ev.Time, ev.Data); err != nil {
				t.Fatalf("event %s does not encode as a CloudEvent: %v", ev.Kind, err)
			}
			if err := authorizationRedacted(ev.Data); err != nil {
				t.Fatalf("event %s: %v: %s", ev.Kind, err, b)
			}
		}
	}
}

// authorizationRedacted checks every HTTP exchange an event carries.
func authorizationRedacted(d subjects.EventData) error {
	exchanges := []*subjects.HTTPExchange{d.HTTP}
	for _, e := range d.Log {
		exchanges = append(exchanges, e.HTTP)
	}
	for i, h := range exchanges {
		if h == nil {
			continue
		}
		var sets []subjects.Headers
		if h.Request != nil {
			sets = append(sets, h.Request.Headers)
		}
		if h.Response != nil {
			sets = append(sets, h.Response.Headers)
		}
		for _, hs := range sets {
			for name, values := range hs {
				if !strings.EqualFold(name, "Authorization") {
					continue
				}
				for _, v := range values {
					if v != redact.Marker {
						return fmt.Errorf("exchange %d: header %q kept the value %q", i, name, v)
					}
				}
			}
		}
	}
	return nil
}
