package natsserver_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/natsserver"
	"github.com/integration-events/integration-events/test"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestAFailedTLSHandshakeLogsOneShortLine fails a TLS handshake with an
// embedded server that requires TLS, logging as serve does (stack traces
// from error level on): the server's error is one line at error level,
// without a stack trace, so a client cannot flood the log with them.
func TestAFailedTLSHandshakeLogsOneShortLine(t *testing.T) {
	certs := test.WriteCerts(t)
	core, logs := observer.New(zap.DebugLevel)
	srv, err := natsserver.Start(natsserver.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), TLSCert: certs.ServerCert, TLSKey: certs.ServerKey,
		Log: zap.New(core, zap.AddStacktrace(zap.ErrorLevel))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })

	// A TLS client that does not trust the server's certificate: after
	// the INFO line it aborts the handshake. (A plain-text probe is only
	// a debug line to the server.)
	conn, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if info, err := bufio.NewReader(conn).ReadString('\n'); err != nil || !strings.HasPrefix(info, "INFO ") {
		t.Fatalf("no INFO line: %q %v", info, err)
	}
	if err := tls.Client(conn, &tls.Config{ServerName: "localhost"}).Handshake(); err == nil {
		t.Fatal("a client without the CA completed the handshake")
	}
	handshake := func() []observer.LoggedEntry {
		return logs.FilterLevelExact(zapcore.ErrorLevel).FilterMessageSnippet("TLS handshake").All()
	}
	test.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if len(handshake()) == 0 {
			return fmt.Errorf("no TLS handshake error logged: %v", logs.All())
		}
		return nil
	})
	got := handshake()
	if len(got) != 1 {
		t.Fatalf("%d TLS handshake lines, want 1: %v", len(got), got)
	}
	e := got[0]
	if e.Stack != "" || len(e.Message) > 300 || strings.Contains(e.Message, "\n") {
		t.Errorf("TLS handshake line of %d characters, stack of %d:\n%s\n%s", len(e.Message), len(e.Stack), e.Message, e.Stack)
	}
}
