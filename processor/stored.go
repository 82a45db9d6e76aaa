package processor

import (
	"encoding/json"

	"github.com/integration-events/integration-events/store"
)

// StoredEvents renders the events of eff as the processor stores and
// publishes them: CloudEvents in structured JSON mode, under their ids.
func StoredEvents(integrationID string, eff Effects) ([]store.StoredEvent, error) {
	out := make([]store.StoredEvent, 0, len(eff.Events))
	for _, ev := range eff.Events {
		ce, err := EncodeCloudEvent(ev.ID, ev.Kind.EventName(), integrationID, ev.Time, ev.Data)
		if err != nil {
			return nil, err
		}
		out = append(out, store.StoredEvent{ID: ev.ID, Kind: ev.Kind, IntegrationID: integrationID, Time: ev.Time, CloudEvent: ce})
	}
	return out, nil
}

// disableCommand is the disable command of eff as stored: its subject, its
// de-duplication id (one per disabled event, so one per episode) and its
// payload. subject is empty when eff disables nothing.
func (p *Pipeline) disableCommand(integrationID string, eff Effects) (subject, msgID string, data []byte, err error) {
	if eff.Disable == nil {
		return "", "", nil, nil
	}
	data, err = json.Marshal(eff.Disable)
	return p.subj.Disable(integrationID), "disable-" + eff.Disable.DisabledEventID, data, err
}
