package processor

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
)

// TestDeadLetterReasonClassesEveryRefusal classifies the refusals as they
// are made: by DecodeOutcome, Admit, the subject parser and the
// max-deliveries path.
func TestDeadLetterReasonClassesEveryRefusal(t *testing.T) {
	admit := func(data string) error {
		_, err := Admit("int-1", []byte(data), time.Time{})
		return err
	}
	valid := `"integrationId":"int-1","destination":"Xero","status":"succeeded","finishedAt":"2026-11-25T12:00:00Z"}`
	_, subjectErr := subjects.IntegrationFrom("integrations.runs.a.b", "integrations.runs.")
	for _, c := range []struct {
		err  error
		want string
	}{
		{admit(""), ReasonMalformedJSON},
		{admit("\xff"), ReasonMalformedJSON},
		{admit(`{"runId": 7}`), ReasonMalformedJSON},
		{admit(`{"runId":"r1",` + valid + ` trailing`), ReasonMalformedJSON},
		{admit(`{"runId":"` + string(make([]byte, subjects.MaxOutcomeBytes)) + `"}`), ReasonTooLarge},
		{admit(`{"runId":"",` + valid), ReasonInvalidField},
		{admit(`{"runId":"r1","integrationId":"other","destination":"Xero","status":"succeeded","finishedAt":"2026-11-25T12:00:00Z"}`), ReasonInvalidField},
		{admit(`{"runId":"run token=Q7xFAKE12345",` + valid), ReasonCredentialInID},
		{subjectErr, ReasonBadSubject},
		{fmt.Errorf("%w: %q is not a subject of the contract", subjects.ErrBadSubject, "x"), ReasonBadSubject},
		{undelivered(store.MaxDeliveries{Deliveries: 2, Consumer: "c"}), ReasonMaxDeliveries},
		{errors.New("anything else"), ReasonOther},
	} {
		if c.err == nil {
			t.Errorf("want %s: no error", c.want)
			continue
		}
		if got := DeadLetterReason(c.err); got != c.want {
			t.Errorf("%.100v: class %s, want %s", c.err, got, c.want)
		}
		if c.want != ReasonMaxDeliveries && c.want != ReasonOther && c.want != ReasonBadSubject && !errors.Is(c.err, subjects.ErrBadInput) {
			t.Errorf("%.100v is no longer a bad input", c.err)
		}
	}
	if got := undelivered(store.MaxDeliveries{Deliveries: 2, Consumer: "c"}).Error(); got != "not acknowledged after 2 deliveries to consumer c; JetStream stopped delivering it" {
		t.Errorf("reason %q", got)
	}
}

// TestDestinationLabelIsBounded: the six destinations of the classification
// table, matched without case, and other for the rest.
func TestDestinationLabelIsBounded(t *testing.T) {
	if got := Destinations(); len(got) != 6 {
		t.Fatalf("destinations %v, want the six of the classification table", got)
	}
	for in, want := range map[string]string{"Salesforce": "Salesforce", "salesforce": "Salesforce", "QUICKBOOKS": "QuickBooks", "Stripe": "Stripe", "Acme": "other", "": "other"} {
		if got := DestinationLabel(in); got != want {
			t.Errorf("DestinationLabel(%q) = %q, want %q", in, got, want)
		}
	}
}
