package natsauth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nkeys"
	"golang.org/x/crypto/bcrypt"
)

func userNkey(t *testing.T) string {
	t.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func TestParseValid(t *testing.T) {
	nk := userNkey(t)
	hash, err := bcrypt.GenerateFromPassword([]byte("fake-op-secret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	data := "users:\n" +
		"  - {name: run1, password: fake-run1-secret, role: runner}\n" +
		"  - {name: sub1, nkey: " + nk + ", role: subscriber}\n" +
		"  - {name: op1, password: '" + string(hash) + "', role: operator}\n" +
		"  - {name: Admin_2, password: fake-admin, role: admin}\n"
	users, err := Parse([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []User{
		{Name: "run1", Password: "fake-run1-secret", Role: RoleRunner},
		{Name: "sub1", Nkey: nk, Role: RoleSubscriber},
		{Name: "op1", Password: string(hash), Role: RoleOperator},
		{Name: "Admin_2", Password: "fake-admin", Role: RoleAdmin},
	}
	if len(users) != len(want) {
		t.Fatalf("%d users, want %d", len(users), len(want))
	}
	for i := range want {
		if users[i] != want[i] {
			t.Errorf("user %d: %+v, want %+v", i, users[i], want[i])
		}
	}
}

func TestParseRefuses(t *testing.T) {
	nk := userNkey(t)
	seed := func() string {
		kp, _ := nkeys.CreateUser()
		s, _ := kp.Seed()
		return string(s)
	}()
	acct := func() string {
		kp, _ := nkeys.CreateAccount()
		p, _ := kp.PublicKey()
		return p
	}()
	const secret = "fake-do-not-print"
	for _, tc := range []struct {
		name, yaml string
		err        error
		says       string
	}{
		{"unknown role", "users: [{name: a, password: " + secret + ", role: root}]", ErrUnknownRole, `user "a": unknown role "root"`},
		{"no role", "users: [{name: a, password: " + secret + "}]", ErrUnknownRole, `user "a": unknown role ""`},
		{"duplicate name", "users: [{name: a, password: " + secret + ", role: runner}, {name: a, password: x, role: admin}]", ErrDuplicateUser, `user "a": duplicate user: the name is listed twice`},
		{"duplicate nkey", "users: [{name: a, nkey: " + nk + ", role: runner}, {name: b, nkey: " + nk + ", role: admin}]", ErrDuplicateUser, `user "b": duplicate user: user "a" has the same nkey`},
		{"both", "users: [{name: a, password: " + secret + ", nkey: " + nk + ", role: runner}]", ErrCredential, `user "a": bad credential: both password and nkey`},
		{"neither", "users: [{name: a, role: runner}]", ErrCredential, `user "a": bad credential: neither password nor nkey`},
		{"nkey typo", "users: [{name: a, nkey: " + nk[:50] + ", role: runner}]", ErrBadNkey, `user "a": invalid nkey`},
		{"seed as nkey", "users: [{name: a, nkey: " + seed + ", role: runner}]", ErrBadNkey, `user "a": invalid nkey`},
		{"account nkey", "users: [{name: a, nkey: " + acct + ", role: runner}]", ErrBadNkey, `user "a": invalid nkey`},
		{"broken bcrypt", "users: [{name: a, password: '$2a$10$" + secret + "', role: runner}]", ErrCredential, `user "a": bad credential: password starts like a bcrypt hash but is not one`},
		{"no name", "users: [{password: " + secret + ", role: runner}]", ErrBadName, `user #1: bad user name: name is empty`},
		{"name with dot", "users: [{name: a.b, password: " + secret + ", role: runner}]", ErrBadName, `user "a.b": bad user name: name "a.b" may hold only`},
		{"name with wildcard", "users: [{name: '>', password: " + secret + ", role: runner}]", ErrBadName, `may hold only`},
		{"name too long", "users: [{name: " + strings.Repeat("a", 65) + ", password: " + secret + ", role: runner}]", ErrBadName, `name is 65 characters, over 64`},
		{"internal name", "users: [{name: integration-events, password: " + secret + ", role: admin}]", ErrBadName, `reserved for the processor's own connection`},
		{"empty", "", ErrNoUsers, "lists no users"},
		{"no users", "users: []", ErrNoUsers, "lists no users"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %q does not say %q", err, tc.says)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q holds the password", err)
			}
		})
	}
}

func TestParseRefusesUnknownKeysAndBadYAML(t *testing.T) {
	for _, data := range []string{
		"users: [{name: a, pasword: fake, role: runner}]",
		"user: [{name: a, password: fake, role: runner}]",
		"users: {name: a}",
		"users: [",
	} {
		if _, err := Parse([]byte(data)); err == nil {
			t.Errorf("%q: no error", data)
		}
	}
}

// yaml's type errors quote the value, so a password written in the wrong
// place would be printed; the users file's errors give its line instead.
func TestParseYAMLErrorsHoldNoValues(t *testing.T) {
	for _, tc := range []struct{ yaml, says string }{
		{`users: [ "run1:fake-hunter2-SECRET" ]`, "line 1: a value of the wrong kind"},
		{"users:\n  - {name: a, password: x, role: runner}\n  - fake-hunter2-SECRET\n", "line 3: a value of the wrong kind"},
		{"users:\n  - name: a\n    fake-hunter2-SECRET: x\n", "line 3: an unknown key"},
		{"fake-hunter2-SECRET", "line 1: a value of the wrong kind"},
	} {
		_, err := Parse([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.says) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: %v, want %q without the value", tc.yaml, err, tc.says)
		}
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users.yaml")
	if err := os.WriteFile(path, []byte("users: [{name: a, password: fake, role: bogus}]"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(path)
	if !errors.Is(err, ErrUnknownRole) || !strings.Contains(err.Error(), path) {
		t.Errorf("error %v, want the path and ErrUnknownRole", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
