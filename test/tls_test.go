package test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go"
)

// plainTextRefused speaks plain-text NATS to addr, as a client that ignores
// tls_required would, and reports what the server answered to CONNECT and
// PING: nothing but the INFO line and a closed connection is a refusal.
func plainTextRefused(t *testing.T, addr string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	info, err := r.ReadString('\n')
	if err != nil || !strings.Contains(info, `"tls_required":true`) {
		t.Fatalf("INFO %q (%v), want tls_required", info, err)
	}
	if _, err := conn.Write([]byte("CONNECT {\"verbose\":false}\r\nPING\r\nSUB integrations.events.> 1\r\n")); err != nil {
		return // closed already: refused
	}
	if line, err := r.ReadString('\n'); err == nil && strings.HasPrefix(line, "PONG") {
		t.Fatalf("a plain-text client got %q", line)
	}
}

func TestNATSTLSOnTheEmbeddedServer(t *testing.T) {
	certs := WriteCerts(t)
	s := StartServe(t, t.TempDir(), FreePort(t), "--nats-tls-cert", certs.ServerCert, "--nats-tls-key", certs.ServerKey, "--nats-tls-ca", certs.CA)
	plainTextRefused(t, s.Listen)
	if _, err := nats.Connect(s.URL); err == nil {
		t.Error("a plain-text nats.go client connected")
	}
	if _, err := nats.Connect(s.URL, nats.RootCAs(certs.CA)); err == nil {
		t.Error("a TLS client without a client certificate connected, though --nats-tls-ca asks for one")
	}
	nc, _ := ConnectAs(t, s.URL, nats.RootCAs(certs.CA), nats.ClientCert(certs.ClientCert, certs.ClientKey))
	// Processed: the processor's in-process connection works under TLS.
	Publish(t, nc, workload.Failed("tls-a", "tls-run-1", subjects.StagePerform, 502))
	WaitCounter(t, nc, "tls-a", Streak(1, false))

	// The client commands, with natscli's flags and then its variables.
	out, err := cli(t, "integrations", "show", "tls-a", "--server", s.URL, "--tlscert", certs.ClientCert, "--tlskey", certs.ClientKey, "--tlsca", certs.CA)
	if err != nil || !strings.Contains(out, `"consecutiveFailures": 1`) {
		t.Errorf("integrations show with --tlscert: %v\n%s", err, out)
	}
	cmd := exec.Command(Binary(t), "integrations", "show", "tls-a")
	cmd.Env = append(os.Environ(), "NATS_URL="+s.URL, "NATS_CERT="+certs.ClientCert, "NATS_KEY="+certs.ClientKey, "NATS_CA="+certs.CA)
	if b, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(b), `"consecutiveFailures": 1`) {
		t.Errorf("integrations show with NATS_CERT, NATS_KEY, NATS_CA: %v\n%s", err, b)
	}
	if out, err := cli(t, "integrations", "show", "tls-a", "--server", s.URL, "--tlsca", certs.CA); err == nil {
		t.Errorf("integrations show without a client certificate worked:\n%s", out)
	}
	// Each handshake refused is one short error line, without a stack
	// trace: anyone who reaches the port cannot flood the log.
	var lines []string
	CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		lines = lines[:0]
		for _, l := range strings.Split(s.Output(), "\n") {
			if strings.Contains(l, "TLS handshake error") {
				lines = append(lines, l)
			}
		}
		if len(lines) < 2 {
			return fmt.Errorf("%d TLS handshake lines logged, want one per client refused (2)", len(lines))
		}
		return nil
	})
	for _, l := range lines {
		if strings.Contains(l, "stacktrace") || len(l) > 400 || !strings.Contains(l, `"level":"error"`) {
			t.Errorf("TLS handshake line of %d characters:\n%s", len(l), l)
		}
	}
}

// TestNATSTLSWithoutClientCertificates: with a certificate and key but no
// CA, the embedded server takes any TLS client and still refuses plain text.
func TestNATSTLSWithoutClientCertificates(t *testing.T) {
	certs := WriteCerts(t)
	s := StartServe(t, t.TempDir(), FreePort(t), "--nats-tls-cert", certs.ServerCert, "--nats-tls-key", certs.ServerKey)
	plainTextRefused(t, s.Listen)
	nc, _ := ConnectAs(t, s.URL, nats.RootCAs(certs.CA))
	if !nc.TLSRequired() {
		t.Error("the connection is not TLS")
	}
	Publish(t, nc, workload.Failed("tls-b", "tls-run-1", subjects.StagePerform, 502))
	WaitCounter(t, nc, "tls-b", Streak(1, false))
}
