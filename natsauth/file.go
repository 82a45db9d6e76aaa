package natsauth

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/nats-io/nkeys"
	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/bcrypt"
)

// InternalUser names the processor's own connection. No users file may
// name it.
const InternalUser = "integration-events"

// maxNameLen bounds a user name, which becomes an inbox and consumer name.
const maxNameLen = 64

var validName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// User is one user of the users file, validated.
type User struct {
	Name string
	// Password is plain text or a bcrypt hash ($2a$10$...); empty
	// when Nkey is set.
	Password string
	// Nkey is a user public nkey (U...); empty when Password is set.
	Nkey string
	Role Role
}

// fileUser is one entry as written, before validation.
type fileUser struct {
	Name     string `yaml:"name"`
	Password string `yaml:"password"`
	Nkey     string `yaml:"nkey"`
	Role     string `yaml:"role"`
}

// ReadFile reads and validates the users file at path (see Parse).
func ReadFile(path string) ([]User, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	users, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return users, nil
}

// Parse reads a users file:
//
//	users:
//	  - name: run1
//	    password: run1-secret   # or a bcrypt hash, or nkey: U...
//	    role: runner
//
// Unknown keys are refused. Errors name the user (by position when it has
// no name) and the problem, never a password.
func Parse(data []byte) ([]User, error) {
	var f struct {
		Users []fileUser `yaml:"users"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("users file: %w", yamlError(err))
	}
	if len(f.Users) == 0 {
		return nil, fmt.Errorf("%w: the users file lists no users (want users: [{name, password or nkey, role}])", ErrNoUsers)
	}
	out := make([]User, 0, len(f.Users))
	names := map[string]bool{}
	nkeyOwner := map[string]string{}
	for i, fu := range f.Users {
		u, err := fu.validate()
		if err != nil {
			who := fmt.Sprintf("user %q", fu.Name)
			if fu.Name == "" {
				who = fmt.Sprintf("user #%d", i+1)
			}
			return nil, fmt.Errorf("%s: %w", who, err)
		}
		if names[u.Name] {
			return nil, fmt.Errorf("user %q: %w: the name is listed twice", u.Name, ErrDuplicateUser)
		}
		names[u.Name] = true
		if u.Nkey != "" {
			if other, dup := nkeyOwner[u.Nkey]; dup {
				return nil, fmt.Errorf("user %q: %w: user %q has the same nkey", u.Name, ErrDuplicateUser, other)
			}
			nkeyOwner[u.Nkey] = u.Name
		}
		out = append(out, u)
	}
	return out, nil
}

func (fu fileUser) validate() (User, error) {
	if err := ValidateName(fu.Name); err != nil {
		return User{}, err
	}
	role, err := ParseRole(fu.Role)
	if err != nil {
		return User{}, err
	}
	u := User{Name: fu.Name, Password: fu.Password, Nkey: fu.Nkey, Role: role}
	switch {
	case u.Password != "" && u.Nkey != "":
		return User{}, fmt.Errorf("%w: both password and nkey are given; give one", ErrCredential)
	case u.Password == "" && u.Nkey == "":
		return User{}, fmt.Errorf("%w: neither password nor nkey is given", ErrCredential)
	case u.Nkey != "":
		if !nkeys.IsValidPublicUserKey(u.Nkey) {
			return User{}, fmt.Errorf("%w: nkey must be a user public key (56 characters starting with U), not a seed or another key type", ErrBadNkey)
		}
	case looksBcrypt(u.Password):
		if _, err := bcrypt.Cost([]byte(u.Password)); err != nil {
			return User{}, fmt.Errorf("%w: password starts like a bcrypt hash but is not one: %v", ErrCredential, err)
		}
	}
	return u, nil
}

// bcryptPrefix is how the server tells a bcrypt hash from a plain password
// (nats-server's validBcryptPrefix).
var bcryptPrefix = regexp.MustCompile(`^\$2[abxy]\$\d{2}\$`)

// looksBcrypt reports whether the server will take p as a bcrypt hash.
func looksBcrypt(p string) bool { return bcryptPrefix.MatchString(p) }

// ValidateName reports whether name may name a user: 1 to 64 characters of
// [A-Za-z0-9_-] (it becomes a subject token of its inbox and consumer
// names), and not InternalUser.
func ValidateName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: name is empty", ErrBadName)
	case len(name) > maxNameLen:
		return fmt.Errorf("%w: name is %d characters, over %d", ErrBadName, len(name), maxNameLen)
	case !validName.MatchString(name):
		return fmt.Errorf("%w: name %q may hold only A-Z, a-z, 0-9, _ and -", ErrBadName, name)
	case name == InternalUser:
		return fmt.Errorf("%w: name %q is reserved for the processor's own connection", ErrBadName, name)
	}
	return nil
}

// yamlLine splits one of yaml's type errors into its line and the rest.
var yamlLine = regexp.MustCompile(`^line (\d+): `)

// yamlError is err without the values yaml quotes: its type errors print
// the offending value (`users: ["run1:secret"]`) and an unknown key (a
// stray password on a line of its own), so they are reduced to their line
// numbers and what was wrong. Syntax errors quote no value and pass as
// they are.
func yamlError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	msgs := make([]string, 0, len(te.Errors))
	for _, e := range te.Errors {
		line := "?"
		if m := yamlLine.FindStringSubmatch(e); m != nil {
			line = m[1]
		}
		what := "a value of the wrong kind"
		if strings.Contains(e, " not found in type ") {
			what = "an unknown key"
		}
		msgs = append(msgs, fmt.Sprintf("line %s: %s", line, what))
	}
	return fmt.Errorf("%s (want users: a list of {name, password or nkey, role})", strings.Join(msgs, "; "))
}
