package subjects

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultRoot is the subject root every subject hangs from.
const DefaultRoot = "integrations"

// MaxIntegrationIDLen is the longest integration id accepted.
const MaxIntegrationIDLen = 128

// Subjects builds and parses the subjects of one deployment. The zero value is
// not usable; use New.
type Subjects struct {
	Root string
}

// New returns the subjects under root, or an error when root is not a valid
// subject prefix (non-empty tokens, no wildcards, no spaces).
func New(root string) (Subjects, error) {
	if root == "" {
		return Subjects{}, fmt.Errorf("%w: subject root is empty", ErrBadSubject)
	}
	for _, tok := range strings.Split(root, ".") {
		if tok == "" || strings.ContainsAny(tok, "*> \t\r\n") {
			return Subjects{}, fmt.Errorf("%w: subject root %q must be dot-separated tokens without wildcards or spaces", ErrBadSubject, root)
		}
	}
	return Subjects{Root: root}, nil
}

// Default returns the subjects under DefaultRoot.
func Default() Subjects { return Subjects{Root: DefaultRoot} }

// Run is where runners publish the outcome of one run of integrationID.
func (s Subjects) Run(integrationID string) string { return s.Root + ".runs." + integrationID }

// Runs matches every run subject, including malformed ones, so the processor
// sees (and dead-letters) them instead of letting them vanish.
func (s Subjects) Runs() string { return s.Root + ".runs.>" }

// RunsPrefix is the prefix of every run subject.
func (s Subjects) RunsPrefix() string { return s.Root + ".runs." }

// Event is where the processor publishes an event of kind for integrationID.
func (s Subjects) Event(kind Kind, integrationID string) string {
	return s.Root + ".events." + string(kind) + "." + integrationID
}

// Events matches every event subject.
func (s Subjects) Events() string { return s.Root + ".events.>" }

// EventFilter matches the events of kind (any when empty) of integrationID
// (any when empty).
func (s Subjects) EventFilter(kind Kind, integrationID string) string {
	k, id := string(kind), integrationID
	if k == "" {
		k = "*"
	}
	if id == "" {
		id = "*"
	}
	return s.Root + ".events." + k + "." + id
}

// Actioned is where the processor acknowledges an event of integrationID
// being marked as actioned.
func (s Subjects) Actioned(integrationID string) string { return s.Root + ".actioned." + integrationID }

// ActionedAll matches every actioned acknowledgement.
func (s Subjects) ActionedAll() string { return s.Root + ".actioned.>" }

// Disable is where the processor tells schedulers to stop running integrationID.
func (s Subjects) Disable(integrationID string) string {
	return s.Root + ".commands.disable." + integrationID
}

// Disables matches every disable command.
func (s Subjects) Disables() string { return s.Root + ".commands.disable.>" }

// Enable is where operators re-enable integrationID.
func (s Subjects) Enable(integrationID string) string {
	return s.Root + ".commands.enable." + integrationID
}

// Enables matches every enable command, malformed ones included.
func (s Subjects) Enables() string { return s.Root + ".commands.enable.>" }

// EnablePrefix is the prefix of every enable subject.
func (s Subjects) EnablePrefix() string { return s.Root + ".commands.enable." }

// Commands matches every command subject.
func (s Subjects) Commands() string { return s.Root + ".commands.>" }

// DeadLetter is where rejected messages go.
func (s Subjects) DeadLetter() string { return s.Root + ".deadletter" }

// API is the subject of one operator API endpoint, such as "events.list".
func (s Subjects) API(endpoint string) string { return s.Root + ".api." + endpoint }

// APIGroup is the prefix of the operator API.
func (s Subjects) APIGroup() string { return s.Root + ".api" }

// IntegrationFrom returns the integration id that subject carries after prefix,
// or an error when subject is not prefix followed by one valid id token.
func IntegrationFrom(subject, prefix string) (string, error) {
	id, ok := strings.CutPrefix(subject, prefix)
	if !ok {
		return "", fmt.Errorf("%w: %q does not start with %q", ErrBadSubject, subject, prefix)
	}
	if err := ValidateIntegrationID(id); err != nil {
		return "", fmt.Errorf("subject %q: %w", subject, err)
	}
	return id, nil
}

// ValidateIntegrationID reports whether id is one subject token of 1 to 128
// characters of [A-Za-z0-9_-]. The error wraps ErrBadIntegrationID and names
// the first character that is not allowed, as a whole character (such as
// 'é', or a byte that is not UTF-8 as '\xff') and its position counted in
// characters from 0; the reason is valid UTF-8 and quotes at most 40
// characters of id.
func ValidateIntegrationID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: integration id is empty", ErrBadIntegrationID)
	}
	if n := utf8.RuneCountInString(id); n > MaxIntegrationIDLen {
		return fmt.Errorf("%w: integration id is %d characters, over %d", ErrBadIntegrationID, n, MaxIntegrationIDLen)
	}
	pos := 0
	for i, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			char := strconv.QuoteRune(r)
			if r == utf8.RuneError {
				if _, size := utf8.DecodeRuneInString(id[i:]); size == 1 {
					char = fmt.Sprintf(`'\x%02x'`, id[i])
				}
			}
			return fmt.Errorf("%w: integration id %q has %s at position %d; only A-Z, a-z, 0-9, _ and - are allowed", ErrBadIntegrationID, truncate(id, 40), char, pos)
		}
		pos++
	}
	return nil
}

// truncate cuts s to at most n bytes on a character boundary, marking the cut
// with "...", so a reason that quotes it stays valid UTF-8.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
