package operator

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
)

// ListExternalMappings returns a page of external mappings in key order
// (external system, m3ter entity, m3ter id; store.ListExternalMappings): up
// to PageSize (1 to 100, 0: DefaultPageSize), as many as fit budget bytes.
// Errors: 400 for a bad pageSize or a nextToken not issued here; 503 when
// external_mappings holds more than store.MaxMappingsListed keys.
func (s *Service) ListExternalMappings(ctx context.Context, req subjects.ListExternalMappingsRequest, budget int) (subjects.ListExternalMappingsResponse, error) {
	n, err := pageSize(req.PageSize)
	if err != nil {
		return subjects.ListExternalMappingsResponse{}, err
	}
	ms, next, err := s.st.ListExternalMappings(ctx, n, req.NextToken)
	if err != nil {
		return subjects.ListExternalMappingsResponse{}, listError(err)
	}
	// A mapping is at most about 8 KB even when JSON escapes all of it:
	// nothing to cut, only the page to end early on a small budget.
	ms, next = fitPage(ms, next, budget, nil, store.MappingsTokenAfter)
	if ms == nil {
		ms = []subjects.ExternalMapping{}
	}
	return subjects.ListExternalMappingsResponse{Data: ms, NextToken: next}, nil
}

// CreateExternalMapping stores a new external mapping under its key
// "<externalSystem>.<m3terEntity>.<m3terId>" and announces it on
// <root>.mappings.created.<integrationConfigId> (store.CreateExternalMapping);
// it returns the mapping stored, with its id and dtCreated. Errors: 400 for
// a field that is missing or invalid, naming it; 400 when the key is taken,
// naming the key and the mapping stored under it (one m3ter entity has one
// mapping per external system; the stored one is not changed).
func (s *Service) CreateExternalMapping(ctx context.Context, req subjects.CreateExternalMappingRequest, _ int) (subjects.ExternalMapping, error) {
	m := subjects.ExternalMapping{
		M3terEntity: req.M3terEntity, M3terID: req.M3terID, ExternalSystem: req.ExternalSystem, ExternalTable: req.ExternalTable,
		ExternalID: req.ExternalID, IntegrationConfigID: req.IntegrationConfigID, CreatedBy: req.CreatedBy,
	}
	created, err := s.st.CreateExternalMapping(ctx, m, time.Now())
	switch {
	case errors.Is(err, subjects.ErrBadInput):
		return subjects.ExternalMapping{}, badRequest("%s", strings.TrimPrefix(err.Error(), subjects.ErrBadInput.Error()+": "))
	case errors.Is(err, store.ErrExists):
		key, _ := created.Key()
		return subjects.ExternalMapping{}, badRequest("external mapping %s exists already: m3ter %s %s is mapped to %s %s %s for integration %s, created at %s by %s; one m3ter entity has one mapping per external system",
			key, created.M3terEntity, created.M3terID, created.ExternalSystem, created.ExternalTable, created.ExternalID, created.IntegrationConfigID, created.DtCreated.Format(time.RFC3339), created.CreatedBy)
	case err != nil:
		return subjects.ExternalMapping{}, err
	}
	key, _ := created.Key()
	s.log.Infow("external mapping created", "key", key, "integrationConfigId", created.IntegrationConfigID, "createdBy", created.CreatedBy)
	return created, nil
}
