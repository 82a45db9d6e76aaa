package processor

import (
	"fmt"
	"strconv"

	"github.com/google/uuid"
	"github.com/integration-events/integration-events/subjects"
)

// idNamespace is the UUID v5 namespace of event ids. Changing it changes
// every id, so it never changes.
var idNamespace = uuid.MustParse("6f1c1d3e-9a49-4c7e-9d0b-6a0e2b8f4c11")

// FailureEventID is the id of the event that run runID of integrationID
// raised. Deterministic, so a redelivered or resent outcome yields the same id
// and JetStream's de-duplication drops the copy.
func FailureEventID(integrationID, runID string, kind subjects.Kind) uuid.UUID {
	return uuid.NewSHA1(idNamespace, []byte(integrationID+"\x00run\x00"+runID+"\x00"+kind.EventName()))
}

// DisabledEventID is the id of the one disabled event of an episode.
func DisabledEventID(integrationID string, episode int) uuid.UUID {
	return uuid.NewSHA1(idNamespace, []byte(integrationID+"\x00episode\x00"+strconv.Itoa(episode)+"\x00"+subjects.KindDisabled.EventName()))
}

// WarningEventID is the id of the one warning at level percent of the
// streak that run firstRunID began, in episode.
func WarningEventID(integrationID string, episode int, firstRunID string, percent int) uuid.UUID {
	return uuid.NewSHA1(idNamespace, []byte(integrationID+"\x00episode\x00"+strconv.Itoa(episode)+"\x00streak\x00"+firstRunID+"\x00"+strconv.Itoa(percent)+"\x00"+subjects.KindWarning.EventName()))
}

// RecoveredEventID is the id of the recovery that the success of run runID
// raised.
func RecoveredEventID(integrationID, runID string) uuid.UUID {
	return uuid.NewSHA1(idNamespace, []byte(integrationID+"\x00run\x00"+runID+"\x00"+subjects.KindRecovered.EventName()))
}

// ActionedAckID is the CloudEvent id of the one actioned acknowledgement of
// event eventID.
func ActionedAckID(eventID string) uuid.UUID {
	return uuid.NewSHA1(idNamespace, []byte("actioned\x00"+eventID))
}

// ActionedAck is the acknowledgement CloudEvent of rec, an actioned event
// (its dtActioned set): a store.AckEncoder.
func ActionedAck(rec subjects.EventRecord) ([]byte, error) {
	if rec.DtActioned == nil {
		return nil, fmt.Errorf("event %s is not actioned", rec.ID)
	}
	ack := subjects.Actioned{EventID: rec.ID, EventName: rec.EventName, IntegrationID: rec.IntegrationID, ActionedBy: rec.ActionedBy, DtActioned: *rec.DtActioned, Note: rec.Note}
	return EncodeCloudEvent(ActionedAckID(rec.ID).String(), subjects.ActionedType, rec.IntegrationID, ack.DtActioned, ack)
}
