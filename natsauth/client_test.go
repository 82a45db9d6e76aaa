package natsauth

import (
	"errors"
	"strings"
	"testing"
)

func TestClientValidate(t *testing.T) {
	for _, tc := range []struct {
		c    Client
		says string
	}{
		{Client{User: "a", Token: "fake-t"}, "user and token given together"},
		{Client{NkeyFile: "a.nk", CredsFile: "a.creds"}, "nkey and creds given together"},
		{Client{User: "a", Token: "fake-t", NkeyFile: "n", CredsFile: "c"}, "user and token and nkey and creds"},
		{Client{Password: "fake-p"}, "a password without a user"},
		{Client{TLSCert: "c.pem"}, "needs its key"},
		{Client{TLSKey: "k.pem"}, "needs its key"},
		{Client{InboxPrefix: "_INBOX_a."}, "trailing dot"},
		{Client{InboxPrefix: "_INBOX.*"}, "wildcards"},
	} {
		err := tc.c.Validate()
		if !errors.Is(err, ErrConflictingOptions) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%+v: %v, want %q", tc.c, err, tc.says)
		}
		if err != nil && strings.Contains(err.Error(), "fake-") {
			t.Errorf("%+v: error %q holds a secret", tc.c, err)
		}
		if _, oerr := tc.c.Options(); oerr == nil {
			t.Errorf("%+v: Options accepted it", tc.c)
		}
	}
	for _, c := range []Client{
		{},
		{User: "a", Password: "fake-p", TLSCert: "c", TLSKey: "k", TLSCA: "ca", InboxPrefix: "_INBOX_a"},
		{User: "a"},
		{Token: "fake-t", TLSCA: "ca"},
		{CredsFile: "a.creds"},
	} {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

func TestClientNkeyFileMissing(t *testing.T) {
	_, err := Client{NkeyFile: "/nonexistent/a.nk"}.Options()
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/a.nk") {
		t.Errorf("error %v, want one naming the file", err)
	}
}
