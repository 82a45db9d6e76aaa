package subjects

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ExternalMapping links an m3ter entity to its record in an external system,
// as m3ter's ExternalMapping does (Config API, "Create an External
// Mapping": ExternalMappingRequest and ExternalMappingResponse). It is the
// value stored in the KV bucket external_mappings under MappingKey, and the
// payload of MappingCreated. A runner whose map stage finds no Salesforce
// Account for m3ter Account acct-42 reads
//
//	nats kv get external_mappings Salesforce.Account.acct-42
type ExternalMapping struct {
	// ID is the mapping's UUID (m3ter's id), given by the store on create.
	ID string `json:"id"`
	// M3terEntity names the m3ter entity type, such as "Account" (m3ter's
	// m3terEntity). Required; part of the key.
	M3terEntity string `json:"m3terEntity"`
	// M3terID is the m3ter entity's id, usually a UUID (m3ter's m3terId).
	// Required; part of the key.
	M3terID string `json:"m3terId"`
	// ExternalSystem names the system the entity is mapped to, such as
	// "Salesforce" or "Stripe" (m3ter's externalSystem). Required; part of
	// the key.
	ExternalSystem string `json:"externalSystem"`
	// ExternalTable is the table of ExternalSystem holding the record, such
	// as "Account" or "Customer" (m3ter's externalTable). Required.
	ExternalTable string `json:"externalTable"`
	// ExternalID is the record's id in ExternalSystem, such as
	// "0015e00000AbCdE" or "cus_Nx1" (m3ter's externalId). Required.
	ExternalID string `json:"externalId"`
	// IntegrationConfigID is the integration the mapping is for (m3ter's
	// integrationConfigId). m3ter makes it optional; here it is required
	// and is an integration id, because MappingCreated is published under
	// it.
	IntegrationConfigID string `json:"integrationConfigId"`
	// CreatedBy is who created the mapping (m3ter's createdBy), at most
	// MaxOperatorBytes. Required.
	CreatedBy string `json:"createdBy"`
	// DtCreated is when it was created, UTC (m3ter's dtCreated), set by the
	// store.
	DtCreated time.Time `json:"dtCreated"`
}

// Sizes of an external mapping's fields, in bytes.
const (
	// MaxMappingKeyPartBytes bounds m3terEntity, m3terId and
	// externalSystem, the parts of the key (128 bytes each).
	MaxMappingKeyPartBytes = 128
	// MaxMappingFieldBytes bounds externalTable and externalId (256
	// bytes, as MaxNameBytes bounds them in a failure's mapping).
	MaxMappingFieldBytes = MaxNameBytes
)

// MappingKey is the KV key of the mapping of m3terEntity m3terID in
// externalSystem: "<externalSystem>.<m3terEntity>.<m3terId>", such as
// "Salesforce.Account.acct-42". One m3ter entity has at most one mapping
// per external system. Each part must be 1 to MaxMappingKeyPartBytes of
// [A-Za-z0-9_=/-]: the characters a KV key allows, less the dot that
// separates the parts. The error wraps ErrBadInput and names the part, the
// character and its position.
func MappingKey(externalSystem, m3terEntity, m3terID string) (string, error) {
	for _, p := range []struct{ name, v string }{{"externalSystem", externalSystem}, {"m3terEntity", m3terEntity}, {"m3terId", m3terID}} {
		if err := validateKeyPart(p.name, p.v); err != nil {
			return "", err
		}
	}
	return externalSystem + "." + m3terEntity + "." + m3terID, nil
}

// Key is the mapping's KV key, as MappingKey builds it.
func (m *ExternalMapping) Key() (string, error) {
	return MappingKey(m.ExternalSystem, m.M3terEntity, m.M3terID)
}

// Validate checks every field a create takes (all but ID and DtCreated):
// present, within its size, the key parts as MappingKey wants them, the
// other text without control characters or surrounding spaces (m3ter's own
// pattern), and integrationConfigId an integration id. The error wraps
// ErrBadInput and names the first field at fault.
func (m *ExternalMapping) Validate() error {
	if _, err := m.Key(); err != nil {
		return err
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"externalTable", m.ExternalTable, MaxMappingFieldBytes}, {"externalId", m.ExternalID, MaxMappingFieldBytes}, {"createdBy", m.CreatedBy, MaxOperatorBytes}} {
		if err := validateText(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	if err := ValidateIntegrationID(m.IntegrationConfigID); err != nil {
		return fmt.Errorf("%w: integrationConfigId: %w", ErrBadInput, err)
	}
	return nil
}

func validateKeyPart(name, v string) error {
	if v == "" {
		return badInput("%s is required", name)
	}
	if len(v) > MaxMappingKeyPartBytes {
		return badInput("%s is %d bytes, over %d", name, len(v), MaxMappingKeyPartBytes)
	}
	pos := 0
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '=' || r == '/') {
			return badInput("%s %q has %s at position %d; it is part of the external_mappings key, so only A-Z, a-z, 0-9, _, -, = and / are allowed", name, truncate(v, 40), strconv.QuoteRune(r), pos)
		}
		pos++
	}
	return nil
}

func validateText(name, v string, max int) error {
	switch {
	case v == "":
		return badInput("%s is required", name)
	case len(v) > max:
		return badInput("%s is %d bytes, over %d", name, len(v), max)
	case !utf8.ValidString(v):
		return badInput("%s is not valid UTF-8", name)
	case strings.TrimSpace(v) != v:
		return badInput("%s %q starts or ends with a space", name, truncate(v, 40))
	}
	if i := strings.IndexFunc(v, unicode.IsControl); i >= 0 {
		return badInput("%s %q has a control character at byte %d", name, truncate(v, 40), i)
	}
	return nil
}

// MappingCreated is where the store announces a new external mapping of
// integrationID (its integrationConfigId), the ExternalMapping as JSON.
func (s Subjects) MappingCreated(integrationID string) string {
	return s.Root + ".mappings.created." + integrationID
}

// Mappings matches every external mapping announcement.
func (s Subjects) Mappings() string { return s.Root + ".mappings.>" }
