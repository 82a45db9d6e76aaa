package subjects

import "time"

// EndpointStatus is the operator API endpoint of the deployment summary,
// relative to Subjects.APIGroup. Its request is {} (no fields).
const EndpointStatus = "status"

// MaxStatusDisabled is the most disabled integrations a DeploymentStatus lists;
// DisabledStatus.Total counts them all.
const MaxStatusDisabled = 20

// MaxStatusActionedRead is the most actioned acknowledgements one DeploymentStatus
// reads to count the events actioned by type. Past it the not-actioned
// counts are upper bounds and NotActionedStatus.Exact is false.
const MaxStatusActionedRead = 10_000

// StatusRequest asks for the deployment summary; it has no fields.
type StatusRequest struct{}

// DeploymentStatus is the one-screen summary of a deployment for operators: what
// `integration-events status --json` prints and the status endpoint
// returns. Counts are read one after the other, not as one snapshot.
type DeploymentStatus struct {
	// Time is when the service composed the summary (UTC).
	Time time.Time `json:"time"`
	// ServiceVersion is the operator API's version.
	ServiceVersion string       `json:"serviceVersion"`
	Server         StatusServer `json:"server"`
	// Streams are the service's streams, then its KV buckets.
	Streams    []StreamStatus    `json:"streams"`
	Partitions []PartitionStatus `json:"partitions"`
	// Replicas are the live processor replicas, by id.
	Replicas    []ReplicaStatus   `json:"replicas"`
	Disabled    DisabledStatus    `json:"disabled"`
	NotActioned NotActionedStatus `json:"notActioned"`
}

// StatusServer is the NATS server as one connection sees it: the
// service's in the status endpoint's reply; `integration-events status`
// replaces URL and RTTMillis with its own, and when it could not reach the
// server or the service, sets Error (and Reachable false when the server
// itself did not answer), the rest of the DeploymentStatus then empty.
type StatusServer struct {
	URL       string `json:"url,omitempty"`
	Reachable bool   `json:"reachable"`
	Name      string `json:"name,omitempty"`
	Version   string `json:"version,omitempty"`
	// RTTMillis is the client's round trip to the server, in milliseconds.
	RTTMillis float64 `json:"rttMillis,omitempty"`
	// AuthRefused is true when the server answered but refused the
	// client's credentials: Reachable is then true and Error says why.
	AuthRefused bool `json:"authRefused,omitempty"`
	// PermissionRefused is true when the server took the credentials but
	// refused the request for the user's permissions (the API subject or
	// the reply inbox): Error says which.
	PermissionRefused bool   `json:"permissionRefused,omitempty"`
	Error             string `json:"error,omitempty"`
}

// Kinds of StreamStatus.
const (
	StreamKindStream = "stream"
	StreamKindBucket = "bucket"
)

// StreamStatus is one stream or KV bucket (Kind) with its messages (for a
// bucket, every revision kept and delete marker), bytes and consumers.
type StreamStatus struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Messages  uint64 `json:"messages"`
	Bytes     uint64 `json:"bytes"`
	Consumers int    `json:"consumers"`
}

// PartitionStatus is the lag of one partition's durable consumer on
// INTEGRATION_RUNS: Pending messages not yet delivered, AckPending
// delivered and not yet acknowledged. Pinned is true when the server has
// pinned the partition to a replica's pull; Replica is the replica that
// holds it by the member list (empty when none is live).
type PartitionStatus struct {
	Partition  int    `json:"partition"`
	Consumer   string `json:"consumer"`
	Pending    uint64 `json:"pending"`
	AckPending int    `json:"ackPending"`
	Pinned     bool   `json:"pinned"`
	Replica    string `json:"replica,omitempty"`
	// Missing is true when the consumer does not exist yet: no replica
	// has held the partition since the streams were created.
	Missing bool `json:"missing,omitempty"`
}

// ReplicaStatus is one live processor replica: its id, its last heartbeat
// in integration_processors, and the partitions it holds by the member
// list.
type ReplicaStatus struct {
	ID            string    `json:"id"`
	LastHeartbeat time.Time `json:"lastHeartbeat"`
	Partitions    []int     `json:"partitions"`
}

// DisabledStatus lists the integrations disabled now: the first
// MaxStatusDisabled in integrations.list's order (most failures first),
// and how many there are.
type DisabledStatus struct {
	Total        int                   `json:"total"`
	Integrations []DisabledIntegration `json:"integrations"`
}

// DisabledIntegration is one disabled integration. Destination comes from
// its disabled event (empty once that has aged out); LastError is cut to
// MaxStatusErrorBytes.
type DisabledIntegration struct {
	IntegrationID       string         `json:"integrationId"`
	Destination         string         `json:"destination,omitempty"`
	DisabledAt          *time.Time     `json:"disabledAt"`
	ConsecutiveFailures int            `json:"consecutiveFailures"`
	FailuresByKind      map[string]int `json:"failuresByKind"`
	LastError           string         `json:"lastError,omitempty"`
	DisabledEventID     string         `json:"disabledEventId,omitempty"`
	// DisabledBy is the disable policy's key that fired
	// (FailureCounter.DisabledBy).
	DisabledBy string `json:"disabledBy,omitempty"`
}

// MaxStatusErrorBytes bounds DisabledIntegration.LastError.
const MaxStatusErrorBytes = 200

// NotActionedStatus counts the events stored in INTEGRATION_EVENTS that
// are not actioned, by event name (every name present, 0 included).
// Stored counts the events stored by name. Exact is false when more than
// MaxStatusActionedRead acknowledgements were to be read: the counts are
// then upper bounds (ActionedRead of ActionedTotal acknowledgements
// subtracted).
type NotActionedStatus struct {
	ByEventName   map[string]uint64 `json:"byEventName"`
	Stored        map[string]uint64 `json:"stored"`
	Total         uint64            `json:"total"`
	Exact         bool              `json:"exact"`
	ActionedRead  int               `json:"actionedRead"`
	ActionedTotal uint64            `json:"actionedTotal"`
}
