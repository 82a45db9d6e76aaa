package natsauth

import (
	"fmt"
	"slices"
	"strings"

	"github.com/integration-events/integration-events/subjects"
)

// The accounts. The streams, the processor and admins live in
// ServiceAccount; each client role has an account of its own that holds no
// stream and imports only what the role may use. A reply to an imported
// request is routed back into the importer's account (the server's _R_
// response mapping), so a reply subject a client chooses, such as a disable
// command, never reaches a stream.
const (
	ServiceAccount     = "INTEGRATIONS"
	RunnersAccount     = "RUNNERS"
	SubscribersAccount = "SUBSCRIBERS"
	OperatorsAccount   = "OPERATORS"
)

// Account returns the account r's users are in.
func (r Role) Account() string {
	switch r {
	case RoleRunner:
		return RunnersAccount
	case RoleSubscriber:
		return SubscribersAccount
	case RoleOperator:
		return OperatorsAccount
	}
	return ServiceAccount
}

// Export is one export of ServiceAccount: a service (requests, whose
// replies go back to the importer) or a stream (messages the importer
// receives), to the named accounts only.
type Export struct {
	Service, Stream string
	// Multiple replies come back to one request (a pull batch, $SRV.PING
	// answered by every replica): response_type stream.
	Multiple bool
	Accounts []string
}

// Import is one import of a client account from ServiceAccount.
type Import struct {
	Service, Stream string
}

// Account is one account of the server's configuration.
type Account struct {
	Name      string
	JetStream bool
	Exports   []Export
	Imports   []Import
}

// Accounts returns the accounts under subj, ServiceAccount first. A client
// account imports every subject its role's Grants let it publish (as a
// service) or subscribe (as a stream), with "*" for the consumer name, which
// each user's permissions pin to its own; ServiceAccount exports each of
// them to exactly the accounts importing it.
func Accounts(subj subjects.Subjects) []Account {
	out := []Account{{Name: ServiceAccount, JetStream: true}}
	seen := map[string]int{}
	for _, r := range Roles {
		if r.Account() == ServiceAccount {
			continue
		}
		acc := Account{Name: r.Account()}
		g := r.Grants("*", subj)
		for _, s := range append([]string{jsAccountInfo}, g.Publish...) {
			acc.Imports = append(acc.Imports, Import{Service: s})
			exportTo(&out[0], seen, Export{Service: s, Multiple: multipleReplies(s)}, acc.Name)
		}
		for _, s := range g.Subscribe {
			if strings.HasPrefix(s, "_INBOX") {
				continue
			}
			acc.Imports = append(acc.Imports, Import{Stream: s})
			exportTo(&out[0], seen, Export{Stream: s}, acc.Name)
		}
		out = append(out, acc)
	}
	return out
}

// exportTo adds account to the export of e's subject, adding the export to
// svc when it is new; seen indexes svc.Exports by subject.
func exportTo(svc *Account, seen map[string]int, e Export, account string) {
	key := e.Service + e.Stream
	i, ok := seen[key]
	if !ok {
		i = len(svc.Exports)
		svc.Exports = append(svc.Exports, e)
		seen[key] = i
	}
	if !slices.Contains(svc.Exports[i].Accounts, account) {
		svc.Exports[i].Accounts = append(svc.Exports[i].Accounts, account)
	}
}

// jsAccountInfo is imported by every client account though no user may
// publish it: an account without JetStream that imports no JetStream API
// subject covering it gets the server's own "$JS.API.>" responder, which
// answers every JetStream request, imported ones too, with "JetStream not
// enabled for account".
const jsAccountInfo = "$JS.API.INFO"

// multipleReplies reports whether a request on s gets several replies.
func multipleReplies(s string) bool {
	return strings.HasPrefix(s, "$JS.API.CONSUMER.MSG.NEXT.") || strings.HasPrefix(s, "$SRV.")
}

// AccountsConfig returns the accounts as a nats-server configuration
// block, "accounts { ... }", without users; deploy/nats/nats-server.conf
// holds the same block with its users.
func AccountsConfig(subj subjects.Subjects) string {
	var b strings.Builder
	b.WriteString("accounts {\n")
	for _, a := range Accounts(subj) {
		a.writeConf(&b, nil)
	}
	b.WriteString("}\n")
	return b.String()
}

// writeConf writes a as a block of an accounts block, with users (lines
// of the users list) when given.
func (a Account) writeConf(b *strings.Builder, users []string) {
	fmt.Fprintf(b, "  %s {\n", a.Name)
	if a.JetStream {
		b.WriteString("    jetstream: enabled\n")
	}
	if len(a.Exports) > 0 {
		b.WriteString("    exports: [\n")
		for _, e := range a.Exports {
			kind, s := "service", e.Service
			if e.Stream != "" {
				kind, s = "stream", e.Stream
			}
			fmt.Fprintf(b, "      { %s: %q, accounts: [%s]", kind, s, strings.Join(e.Accounts, ", "))
			if e.Multiple {
				b.WriteString(", response_type: stream")
			}
			b.WriteString(" }\n")
		}
		b.WriteString("    ]\n")
	}
	if len(a.Imports) > 0 {
		b.WriteString("    imports: [\n")
		for _, i := range a.Imports {
			kind, s := "service", i.Service
			if i.Stream != "" {
				kind, s = "stream", i.Stream
			}
			fmt.Fprintf(b, "      { %s: { account: %s, subject: %q } }\n", kind, ServiceAccount, s)
		}
		b.WriteString("    ]\n")
	}
	if len(users) > 0 {
		b.WriteString("    users: [\n")
		for _, u := range users {
			b.WriteString("      " + u + "\n")
		}
		b.WriteString("    ]\n")
	}
	b.WriteString("  }\n")
}
