package store

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go/jetstream"
)

// MaxIntegrationsListed is the most failure counters one ListIntegrations
// call reads (100,000, the largest deployment the bench measures). The
// order wants every counter, so a bucket holding more is refused with
// ErrTooMany rather than listed in a wrong order.
const MaxIntegrationsListed = 100_000

// ListIntegrations returns a page of the integrations that have a failure
// counter in integration_failures, with their counters: the disabled ones
// first, then the failing ones (consecutiveFailures above 0), each of those
// two most failures first, then the rest; ties, and the rest, by
// integration id. pageSize below 1 means subjects.DefaultPageSize. The
// token, when not empty, continues after the last integration of the page;
// it holds that integration's place in the order (state, failures, id), so
// an integration whose state changes between pages may be listed twice or
// not at all, as in any listing that is not a snapshot. A token not issued
// here is ErrBadToken.
//
// Cost: the order depends on every counter, so each call reads every key
// of the bucket, streamed by one KV watch (one consumer, values in batches),
// decoding only the state and failures of each; the page's counters are
// then decoded whole. BenchmarkListIntegrations: 35 to 55 ms a page with
// 10,000 integrations, growing linearly with them. Past
// MaxIntegrationsListed counters it fails with ErrTooMany.
func (s *Store) ListIntegrations(ctx context.Context, pageSize int, token string) ([]subjects.FailureCounter, string, error) {
	if pageSize < 1 {
		pageSize = subjects.DefaultPageSize
	}
	var after *integrationPlace
	if token != "" {
		p, err := decodeIntegrationToken(token)
		if err != nil {
			return nil, "", err
		}
		after = &p
	}
	all, err := s.integrationPlaces(ctx)
	if err != nil {
		return nil, "", err
	}
	slices.SortFunc(all, integrationPlace.compare)
	start := 0
	if after != nil {
		start, _ = slices.BinarySearchFunc(all, *after, integrationPlace.compare)
		if start < len(all) && all[start].compare(*after) == 0 {
			start++
		}
	}
	page := all[start:min(start+pageSize, len(all))]
	out := make([]subjects.FailureCounter, 0, len(page))
	for _, p := range page {
		var c subjects.FailureCounter
		if err := json.Unmarshal(p.raw, &c); err != nil {
			return nil, "", fmt.Errorf("counter %s is not a FailureCounter: %w", p.id, err)
		}
		out = append(out, c)
	}
	next := ""
	if start+len(page) < len(all) {
		next = page[len(page)-1].token()
	}
	return out, next, nil
}

// integrationPlace is an integration's place in the order of
// ListIntegrations, and its stored counter.
type integrationPlace struct {
	rank     int // 0 disabled, 1 failing, 2 the rest
	failures int
	id       string
	raw      []byte
}

func (a integrationPlace) compare(b integrationPlace) int {
	if c := cmp.Compare(a.rank, b.rank); c != 0 {
		return c
	}
	if c := cmp.Compare(b.failures, a.failures); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

// integrationPlaces reads every counter with one watch of the bucket.
func (s *Store) integrationPlaces(ctx context.Context) ([]integrationPlace, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	w, err := s.counters.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("list integrations: %w", err)
	}
	defer func() { _ = w.Stop() }()
	var out []integrationPlace
	for {
		var e jetstream.KeyValueEntry
		select {
		case e = <-w.Updates():
		case <-ctx.Done():
			return nil, fmt.Errorf("list integrations: %d counters read: %w", len(out), ctx.Err())
		}
		if e == nil { // every current value has been delivered
			return out, nil
		}
		if len(out) == MaxIntegrationsListed {
			return nil, fmt.Errorf("list integrations: %s holds more than %d counters, the most one listing reads: %w", BucketCounters, MaxIntegrationsListed, ErrTooMany)
		}
		var st struct {
			Disabled            bool `json:"disabled"`
			ConsecutiveFailures int  `json:"consecutiveFailures"`
		}
		if err := json.Unmarshal(e.Value(), &st); err != nil {
			s.log.Warnw("unreadable failure counter, not listed", "integrationId", e.Key(), "revision", e.Revision(), "error", err)
			continue
		}
		p := integrationPlace{rank: 2, failures: st.ConsecutiveFailures, id: e.Key(), raw: e.Value()}
		switch {
		case st.Disabled:
			p.rank = 0
		case st.ConsecutiveFailures > 0:
			p.rank = 1
		default:
			p.failures = 0
		}
		out = append(out, p)
	}
}

const integrationTokenPrefix = "in1:"

// IntegrationsTokenAfter returns the ListIntegrations token that continues
// after c, a counter of a page: for a caller that returns less of the page
// than it was given (a reply that would not fit) and must continue right
// after the last counter it returned.
func IntegrationsTokenAfter(c subjects.FailureCounter) string {
	p := integrationPlace{rank: 2, id: c.IntegrationID}
	switch {
	case c.Disabled:
		p.rank, p.failures = 0, c.ConsecutiveFailures
	case c.ConsecutiveFailures > 0:
		p.rank, p.failures = 1, c.ConsecutiveFailures
	}
	return p.token()
}

func (p integrationPlace) token() string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%s%d:%d:%s", integrationTokenPrefix, p.rank, p.failures, p.id))
}

func decodeIntegrationToken(tok string) (integrationPlace, error) {
	bad := fmt.Errorf("%w: %q was not issued by the integrations listing", ErrBadToken, truncate(tok, 40))
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return integrationPlace{}, bad
	}
	rest, ok := strings.CutPrefix(string(b), integrationTokenPrefix)
	parts := strings.SplitN(rest, ":", 3)
	if !ok || len(parts) != 3 {
		return integrationPlace{}, bad
	}
	rank, err1 := strconv.Atoi(parts[0])
	failures, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || rank < 0 || rank > 2 || failures < 0 || subjects.ValidateIntegrationID(parts[2]) != nil {
		return integrationPlace{}, bad
	}
	return integrationPlace{rank: rank, failures: failures, id: parts[2]}, nil
}
