package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// eventsDuplicates is the de-duplication window of INTEGRATION_EVENTS, which
// also stores the mapping announcements.
const eventsDuplicates = 10 * time.Minute

// CreateExternalMapping stores m in external_mappings under its key,
// subjects.MappingKey ("<externalSystem>.<m3terEntity>.<m3terId>"), with a
// new id and dtCreated now, and publishes it as JSON on
// subjects.MappingCreated(m.IntegrationConfigID) with Nats-Msg-Id its id
// (not the key: a mapping deleted and created again within the duplicate
// window is a new mapping, and its announcement must not be dropped).
// It returns the stored mapping.
//
// Errors: a field that m.Validate refuses wraps subjects.ErrBadInput (the
// API's 400), and nothing is stored. A key already taken is ErrExists (the
// API's 400): the create is a compare-and-set, so of two racing creates one
// wins; the mapping already stored is returned with the error. A failure
// to publish after the mapping was stored is returned as it is: the mapping
// stays, and a create retried within INTEGRATION_EVENTS' 10-minute duplicate
// window answers ErrExists and publishes the announcement again, which
// JetStream keeps once.
func (s *Store) CreateExternalMapping(ctx context.Context, m subjects.ExternalMapping, now time.Time) (subjects.ExternalMapping, error) {
	if err := m.Validate(); err != nil {
		return subjects.ExternalMapping{}, err
	}
	key, _ := m.Key()
	m.ID, m.DtCreated = uuid.NewString(), now.UTC()
	b, err := json.Marshal(m)
	if err != nil {
		return subjects.ExternalMapping{}, err
	}
	if _, err := s.mappings.Create(ctx, key, b); err != nil {
		if !isConflict(err) {
			return subjects.ExternalMapping{}, fmt.Errorf("create external mapping %s: %w", key, err)
		}
		old, raw, err := s.externalMapping(ctx, key)
		if err != nil {
			return subjects.ExternalMapping{}, fmt.Errorf("create external mapping %s: taken, but: %w", key, err)
		}
		if now.Sub(old.DtCreated) < eventsDuplicates {
			if err := s.announceMapping(ctx, key, old, raw); err != nil {
				return old, err
			}
		}
		return old, fmt.Errorf("external mapping %s (m3ter %s %s in %s) was created at %s by %s: %w",
			key, old.M3terEntity, old.M3terID, old.ExternalSystem, old.DtCreated.Format(time.RFC3339), old.CreatedBy, ErrExists)
	}
	return m, s.announceMapping(ctx, key, m, b)
}

func (s *Store) announceMapping(ctx context.Context, key string, m subjects.ExternalMapping, raw []byte) error {
	_, err := s.publish(ctx, s.subj.MappingCreated(m.IntegrationConfigID), m.ID, raw, nats.Header{"Content-Type": []string{"application/json"}})
	if err != nil {
		return fmt.Errorf("external mapping %s is stored, but its announcement was not: %w", key, err)
	}
	return nil
}

// ExternalMapping returns the mapping of m3ter entity m3terEntity m3terID in
// externalSystem, as a runner's `nats kv get external_mappings <key>` reads
// it, or ErrNotFound (also for parts that cannot make a key).
func (s *Store) ExternalMapping(ctx context.Context, externalSystem, m3terEntity, m3terID string) (subjects.ExternalMapping, error) {
	key, err := subjects.MappingKey(externalSystem, m3terEntity, m3terID)
	if err != nil {
		return subjects.ExternalMapping{}, fmt.Errorf("external mapping: %w: %w", ErrNotFound, err)
	}
	m, _, err := s.externalMapping(ctx, key)
	return m, err
}

func (s *Store) externalMapping(ctx context.Context, key string) (subjects.ExternalMapping, []byte, error) {
	var m subjects.ExternalMapping
	e, err := s.mappings.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return m, nil, fmt.Errorf("external mapping %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return m, nil, fmt.Errorf("external mapping %s: %w", key, err)
	}
	if err := json.Unmarshal(e.Value(), &m); err != nil {
		return m, nil, fmt.Errorf("external mapping %s at revision %d is not an ExternalMapping: %w", key, e.Revision(), err)
	}
	return m, e.Value(), nil
}

// MaxMappingsListed is the most keys one ListExternalMappings call reads
// (100,000); a bucket holding more is refused with ErrTooMany.
const MaxMappingsListed = 100_000

// ListExternalMappings returns a page of external mappings in key order
// (external system, then m3ter entity, then m3ter id), at most pageSize
// (below 1: subjects.DefaultPageSize), and a token that continues after the
// page's last key, empty on the last page. A token not issued here is
// ErrBadToken. Each call lists every key of the bucket (headers only, one
// watch) and reads the page's values at once; past MaxMappingsListed keys
// it fails with ErrTooMany.
func (s *Store) ListExternalMappings(ctx context.Context, pageSize int, token string) ([]subjects.ExternalMapping, string, error) {
	if pageSize < 1 {
		pageSize = subjects.DefaultPageSize
	}
	after := ""
	if token != "" {
		b, err := base64.RawURLEncoding.DecodeString(token)
		k, ok := strings.CutPrefix(string(b), mappingTokenPrefix)
		if err != nil || !ok || !validKey(k) {
			return nil, "", fmt.Errorf("%w: %q was not issued by the external mappings listing", ErrBadToken, truncate(token, 40))
		}
		after = k
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	lister, err := s.mappings.ListKeys(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("list external mappings: %w", err)
	}
	var keys []string
	for k := range lister.Keys() {
		if len(keys) == MaxMappingsListed {
			_ = lister.Stop()
			return nil, "", fmt.Errorf("list external mappings: %s holds more than %d, the most one listing reads: %w", BucketMappings, MaxMappingsListed, ErrTooMany)
		}
		keys = append(keys, k)
	}
	if err := ctx.Err(); err != nil {
		return nil, "", fmt.Errorf("list external mappings: %w", err)
	}
	slices.Sort(keys)
	start, found := slices.BinarySearch(keys, after)
	if found {
		start++
	}
	page := keys[start:min(start+pageSize, len(keys))]
	ms := make([]subjects.ExternalMapping, len(page))
	gone := make([]bool, len(page))
	err = readAtOnce(len(page), func(i int) (err error) {
		ms[i], _, err = s.externalMapping(ctx, page[i])
		if errors.Is(err, ErrNotFound) { // deleted since it was listed
			gone[i], err = true, nil
		}
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out := make([]subjects.ExternalMapping, 0, len(page))
	for i, m := range ms {
		if !gone[i] {
			out = append(out, m)
		}
	}
	next := ""
	if start+len(page) < len(keys) {
		next = mappingToken(page[len(page)-1])
	}
	return out, next, nil
}

const mappingTokenPrefix = "em1:"

func mappingToken(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(mappingTokenPrefix + key))
}

// MappingsTokenAfter returns the ListExternalMappings token that continues
// after m, a mapping of a page: for a caller that returns less of the page
// than it was given (a reply that would not fit).
func MappingsTokenAfter(m subjects.ExternalMapping) string {
	key, _ := m.Key() // a stored mapping has a valid key
	return mappingToken(key)
}
