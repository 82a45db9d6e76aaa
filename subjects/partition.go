package subjects

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// INTEGRATION_RUNS stores what it receives under partitioned subjects, so that
// each partition is one ordered log that one processor replica applies:
//
//	<root>.runs.<id>            -> <root>.partitioned.<p>.runs.<id>
//	<root>.commands.enable.<id> -> <root>.partitioned.<p>.enable.<id>  (sourced from INTEGRATION_COMMANDS)
//
// p is the server's partition of <id>, so the outcomes and enables of one
// integration share a partition and an order. Messages on malformed subjects
// are stored apart, under <root>.runs.<...> as published or
// <root>.unpartitioned.enable.<...>, and dead-lettered.

// Stored kinds of message in a partition.
const (
	StoredRun    = "runs"
	StoredEnable = "enable"
)

// Partitioned is the parsed stored subject of a partitioned message.
type Partitioned struct {
	Partition     int
	Kind          string // StoredRun or StoredEnable
	IntegrationID string
}

// PartitionedPrefix prefixes every partitioned subject.
func (s Subjects) PartitionedPrefix() string { return s.Root + ".partitioned." }

// Partition matches every message of partition p.
func (s Subjects) Partition(p int) string { return s.PartitionedPrefix() + strconv.Itoa(p) + ".>" }

// PartitionedOf matches every partitioned message of integrationID.
func (s Subjects) PartitionedOf(integrationID string) string {
	return s.PartitionedPrefix() + "*.*." + integrationID
}

// Unpartitioned matches enable commands on malformed subjects, as stored.
func (s Subjects) Unpartitioned() string { return s.Root + ".unpartitioned.>" }

// ParsePartitioned parses a stored partitioned subject.
func (s Subjects) ParsePartitioned(subject string) (Partitioned, error) {
	rest, ok := strings.CutPrefix(subject, s.PartitionedPrefix())
	if !ok {
		return Partitioned{}, fmt.Errorf("%w: %q is not a partitioned subject", ErrBadSubject, subject)
	}
	parts := strings.SplitN(rest, ".", 3)
	if len(parts) != 3 || (parts[1] != StoredRun && parts[1] != StoredEnable) {
		return Partitioned{}, fmt.Errorf("%w: %q is not a partitioned subject", ErrBadSubject, subject)
	}
	p, err := strconv.Atoi(parts[0])
	if err != nil || p < 0 {
		return Partitioned{}, fmt.Errorf("%w: %q has no partition number", ErrBadSubject, subject)
	}
	if err := ValidateIntegrationID(parts[2]); err != nil {
		return Partitioned{}, fmt.Errorf("subject %q: %w", s.Original(Partitioned{Kind: parts[1], IntegrationID: parts[2]}), err)
	}
	return Partitioned{Partition: p, Kind: parts[1], IntegrationID: parts[2]}, nil
}

// Original is the subject a partitioned message was published on.
func (s Subjects) Original(m Partitioned) string {
	if m.Kind == StoredEnable {
		return s.Enable(m.IntegrationID)
	}
	return s.Run(m.IntegrationID)
}

// OriginalOf maps any stored INTEGRATION_RUNS subject back to the subject it
// was published on: partitioned, unpartitioned enable, or as published.
func (s Subjects) OriginalOf(stored string) string {
	if m, err := s.ParsePartitioned(stored); err == nil {
		return s.Original(m)
	}
	if rest, ok := strings.CutPrefix(stored, s.PartitionedPrefix()); ok {
		// A partitioned subject whose id token is invalid.
		if parts := strings.SplitN(rest, ".", 3); len(parts) == 3 {
			return s.Original(Partitioned{Kind: parts[1], IntegrationID: parts[2]})
		}
	}
	if rest, ok := strings.CutPrefix(stored, s.Root+".unpartitioned.enable."); ok {
		return s.EnablePrefix() + rest
	}
	return stored
}

// PartitionOf is the partition of integrationID among n, as the server's
// {{partition(n,1)}} transform computes it (FNV-1a of the id token).
func PartitionOf(integrationID string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(integrationID))
	return int(h.Sum32() % uint32(n))
}
