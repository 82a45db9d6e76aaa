package test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
	"golang.org/x/crypto/bcrypt"
)

// AuthUsers is a --nats-auth users file written for a test, with one user
// of each role (obviously fake passwords), an operator whose password is
// stored as a bcrypt hash, and a runner that authenticates with an nkey.
type AuthUsers struct {
	// File is the users file.
	File string
	// Passwords of the password users, by name (the plain text, also for
	// the bcrypt one).
	Passwords map[string]string
	// NkeySeed is the seed file of the nkey runner UserNkey.
	NkeySeed string
}

// The users of WriteAuthUsers.
const (
	UserRunner     = "run1"
	UserSubscriber = "sub1"
	UserOperator   = "op1" // password stored as a bcrypt hash
	UserAdmin      = "adm1"
	UserNkey       = "nkrun" // a runner with an nkey
)

// WriteAuthUsers writes the users file.
func WriteAuthUsers(t testing.TB) AuthUsers {
	t.Helper()
	dir := t.TempDir()
	u := AuthUsers{File: filepath.Join(dir, "users.yaml"), NkeySeed: filepath.Join(dir, "nkrun.nk"), Passwords: map[string]string{
		UserRunner: "fake-run1-secret", UserSubscriber: "fake-sub1-secret", UserOperator: "fake-op1-secret", UserAdmin: "fake-adm1-secret",
	}}
	hash, err := bcrypt.GenerateFromPassword([]byte(u.Passwords[UserOperator]), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := kp.Seed()
	pub, _ := kp.PublicKey()
	if err := os.WriteFile(u.NkeySeed, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	yaml := "users:\n" +
		"  - {name: " + UserRunner + ", password: " + u.Passwords[UserRunner] + ", role: runner}\n" +
		"  - {name: " + UserSubscriber + ", password: " + u.Passwords[UserSubscriber] + ", role: subscriber}\n" +
		"  - {name: " + UserOperator + ", password: '" + string(hash) + "', role: operator}\n" +
		"  - {name: " + UserAdmin + ", password: " + u.Passwords[UserAdmin] + ", role: admin}\n" +
		"  - {name: " + UserNkey + ", nkey: " + pub + ", role: runner}\n"
	if err := os.WriteFile(u.File, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return u
}

// Violations collects a connection's asynchronous errors: the server's
// permission violations.
type Violations struct {
	mu   sync.Mutex
	errs []error
}

// Has reports whether a permission violation naming subject came back.
func (v *Violations) Has(subject string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, e := range v.errs {
		if strings.Contains(strings.ToLower(e.Error()), "permissions violation") && strings.Contains(e.Error(), `"`+subject+`"`) {
			return true
		}
	}
	return false
}

// All returns the errors so far.
func (v *Violations) All() []error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]error(nil), v.errs...)
}

// ConnectAs connects to url with opts (credentials, TLS), collecting its
// asynchronous errors; the connection is closed at cleanup.
func ConnectAs(t testing.TB, url string, opts ...nats.Option) (*nats.Conn, *Violations) {
	t.Helper()
	v := &Violations{}
	opts = append(opts, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		v.mu.Lock()
		v.errs = append(v.errs, err)
		v.mu.Unlock()
	}))
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc, v
}

// As are the options of user of u with its private inbox.
func (u AuthUsers) As(user string) []nats.Option {
	return []nats.Option{nats.UserInfo(user, u.Passwords[user]), nats.CustomInboxPrefix("_INBOX_" + user)}
}

// containsFold reports whether s holds sub, ignoring case.
func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
