package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/natsserver"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// startExternal starts a JetStream server on a free loopback port with
// opts' authentication and TLS, as an operations team's server would be.
func startExternal(t *testing.T, opts *server.Options) *server.Server {
	t.Helper()
	opts.Host, opts.Port = "127.0.0.1", server.RANDOM_PORT
	opts.JetStream, opts.StoreDir = true, t.TempDir()
	opts.MaxPayload, opts.NoLog, opts.NoSigs = natsserver.MaxPayload, true, true
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		t.Fatal("external server not ready")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s
}

// TestServeAgainstAnExternalServerWithCredentials runs serve --nats-url
// with each usual client credential against servers that require it, and
// checks an outcome is processed.
func TestServeAgainstAnExternalServerWithCredentials(t *testing.T) {
	certs := WriteCerts(t)
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := kp.Seed()
	pub, _ := kp.PublicKey()
	seedFile := filepath.Join(t.TempDir(), "proc.nk")
	if err := os.WriteFile(seedFile, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	tlsConfig, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: certs.ServerCert, KeyFile: certs.ServerKey, CaFile: certs.CA, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	// Users and nkeys, over TLS with client certificates.
	users := startExternal(t, &server.Options{
		Users:     []*server.User{{Username: "proc", Password: "fake-proc-secret"}},
		Nkeys:     []*server.NkeyUser{{Nkey: pub}},
		TLS:       true,
		TLSConfig: tlsConfig, TLSVerify: true, TLSTimeout: 2,
	})
	tlsFlags := []string{"--nats-tls-cert", certs.ClientCert, "--nats-tls-key", certs.ClientKey, "--nats-tls-ca", certs.CA}
	tokens := startExternal(t, &server.Options{Authorization: "fake-token-secret"})

	for i, tc := range []struct {
		name string
		url  string
		env  []string
		args []string
		as   []nats.Option
	}{
		{"user and password from the environment, TLS", users.ClientURL(), []string{"INTEGRATION_EVENTS_NATS_USER=proc", "INTEGRATION_EVENTS_NATS_PASSWORD=fake-proc-secret"}, tlsFlags,
			[]nats.Option{nats.UserInfo("proc", "fake-proc-secret"), nats.ClientCert(certs.ClientCert, certs.ClientKey), nats.RootCAs(certs.CA)}},
		{"nkey seed, TLS", users.ClientURL(), nil, append([]string{"--nats-nkey", seedFile}, tlsFlags...),
			[]nats.Option{nats.UserInfo("proc", "fake-proc-secret"), nats.ClientCert(certs.ClientCert, certs.ClientKey), nats.RootCAs(certs.CA)}},
		{"token", tokens.ClientURL(), nil, []string{"--nats-token", "fake-token-secret"}, []nats.Option{nats.Token("fake-token-secret")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := StartServeEnv(t, tc.env, t.TempDir(), FreePort(t), append([]string{"--nats-url", tc.url}, tc.args...)...)
			defer s.Kill()
			nc, _ := ConnectAs(t, tc.url, tc.as...)
			id := fmt.Sprintf("ext-%d", i)
			Publish(t, nc, workload.Failed(id, "ext-run-1", subjects.StagePerform, 502))
			WaitCounter(t, nc, id, Streak(1, false))
		})
	}

	// Without the credential the server wants, serve does not start, and
	// says why without the secret.
	out, err := cli(t, "serve", "--data-dir", t.TempDir(), "--http-listen=", "--nats-url", tokens.ClientURL(), "--nats-token", "fake-wrong-token")
	if err == nil {
		t.Fatalf("serve with a wrong token started:\n%s", out)
	}
	if !containsFold(out, "authorization violation") || containsFold(out, "fake-wrong-token") {
		t.Errorf("serve with a wrong token:\n%s", out)
	}
	// A password in the URL is not printed either.
	out, err = cli(t, "serve", "--data-dir", t.TempDir(), "--http-listen=", "--nats-url", strings.Replace(users.ClientURL(), "://", "://proc:fake-url-secret@", 1)+","+tokens.ClientURL())
	if err == nil || containsFold(out, "fake-url-secret") || !containsFold(out, "[REDACTED]") {
		t.Errorf("serve with a password in --nats-url: %v\n%s", err, out)
	}
	out, err = cli(t, "serve", "--data-dir", t.TempDir(), "--http-listen=", "--nats-url", tokens.ClientURL(), "--nats-token", "fake-token-secret", "--nats-user", "proc")
	if err == nil || !containsFold(out, "user and token given together") {
		t.Errorf("serve with --nats-user and --nats-token: %v\n%s", err, out)
	}
	out, err = cli(t, "serve", "--data-dir", t.TempDir(), "--http-listen=", "--nats-listen", FreePort(t), "--nats-user", "proc")
	if err == nil || !containsFold(out, "are for a --nats-url server") {
		t.Errorf("serve embedded with --nats-user: %v\n%s", err, out)
	}
}

// TestServeWithACredsFile runs serve --nats-url --nats-creds against a
// server in operator (JWT) mode: the .creds file holds a user JWT its
// account signed, and the user's seed.
func TestServeWithACredsFile(t *testing.T) {
	op, _ := nkeys.CreateOperator()
	opPub, _ := op.PublicKey()
	opJWT, err := jwt.NewOperatorClaims(opPub).Encode(op)
	if err != nil {
		t.Fatal(err)
	}
	opClaims, err := jwt.DecodeOperatorClaims(opJWT)
	if err != nil {
		t.Fatal(err)
	}
	acc, _ := nkeys.CreateAccount()
	accPub, _ := acc.PublicKey()
	ac := jwt.NewAccountClaims(accPub)
	ac.Limits.JetStreamLimits = jwt.JetStreamLimits{MemoryStorage: -1, DiskStorage: -1, Streams: -1, Consumer: -1}
	accJWT, err := ac.Encode(op)
	if err != nil {
		t.Fatal(err)
	}
	user, _ := nkeys.CreateUser()
	userPub, _ := user.PublicKey()
	userSeed, _ := user.Seed()
	uc := jwt.NewUserClaims(userPub)
	uc.IssuerAccount = accPub
	userJWT, err := uc.Encode(acc)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := jwt.FormatUserConfig(userJWT, userSeed)
	if err != nil {
		t.Fatal(err)
	}
	credsFile := filepath.Join(t.TempDir(), "proc.creds")
	if err := os.WriteFile(credsFile, creds, 0o600); err != nil {
		t.Fatal(err)
	}
	// JetStream needs a system account.
	sys, _ := nkeys.CreateAccount()
	sysPub, _ := sys.PublicKey()
	sysJWT, err := jwt.NewAccountClaims(sysPub).Encode(op)
	if err != nil {
		t.Fatal(err)
	}
	resolver := &server.MemAccResolver{}
	for pub, j := range map[string]string{accPub: accJWT, sysPub: sysJWT} {
		if err := resolver.Store(pub, j); err != nil {
			t.Fatal(err)
		}
	}
	srv := startExternal(t, &server.Options{TrustedOperators: []*jwt.OperatorClaims{opClaims}, AccountResolver: resolver, SystemAccount: sysPub})

	if _, err := nats.Connect(srv.ClientURL()); err == nil {
		t.Fatal("the operator-mode server let an anonymous client in")
	}
	StartServe(t, t.TempDir(), FreePort(t), "--nats-url", srv.ClientURL(), "--nats-creds", credsFile)
	nc, _ := ConnectAs(t, srv.ClientURL(), nats.UserCredentials(credsFile))
	Publish(t, nc, workload.Failed("ext-creds", "ext-creds-1", subjects.StagePerform, 502))
	WaitCounter(t, nc, "ext-creds", Streak(1, false))
}
