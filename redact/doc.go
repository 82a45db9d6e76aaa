// Package redact removes credentials from what runners report, before
// anything of it is stored or published. Outcome is the one entry point the
// processor uses; the other functions are its parts, exported for the
// places that redact one value (dead-letter reasons) and for tests.
//
// The rules, documented in the README under "Secrets":
//   - HTTP headers are default-deny: only the values of the headers in
//     ShownHeader's allowlist are shown; every other value is redacted.
//   - Structured data is redacted by name: JSON keys, form fields, query
//     parameters, XML elements and attributes whose names CredentialName
//     accepts; query and form parameters also by OAuth's parameter names
//     (ParamName); and the user name and password of a URL.
//   - Free text (messages, log lines, bodies that do not parse, every string
//     inside a JSON body) by Text: authorization schemes, cookies, name=value
//     pairs, URLs, JSON Web Tokens, PEM private keys and key formats, the
//     latter from gitleaks' maintained rule set.
//
// A redacted value becomes Marker, so a reader still sees that it was there.
package redact

// Marker replaces every credential value.
const Marker = "[REDACTED]"
