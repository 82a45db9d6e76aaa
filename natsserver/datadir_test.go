package natsserver_test

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/natsserver"
)

// TestASecondServerOnOneDataDirFailsAtOnce starts two embedded servers on
// one data directory: the second is refused at once, naming data-dir, the
// path and the holder; once the first has shut down a new one starts.
func TestASecondServerOnOneDataDirFailsAtOnce(t *testing.T) {
	dir := t.TempDir()
	first, err := natsserver.Start(natsserver.Config{Listen: "127.0.0.1:-1", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	second, err := natsserver.Start(natsserver.Config{Listen: "127.0.0.1:-1", DataDir: dir})
	took := time.Since(began)
	if err == nil {
		second.Shutdown()
		t.Fatal("a second server started on a data directory the first holds")
	}
	if !errors.Is(err, natsserver.ErrDataDirInUse) || !strings.Contains(err.Error(), "data-dir "+dir+": another process holds it") {
		t.Errorf("error %q, want one naming data-dir %s and that another process holds it", err, dir)
	}
	if took > 2*time.Second {
		t.Errorf("the refusal took %s, want at once", took)
	}
	first.Shutdown()
	first.WaitForShutdown()
	third, err := natsserver.Start(natsserver.Config{Listen: "127.0.0.1:-1", DataDir: dir})
	if err != nil {
		t.Fatalf("after the first shut down: %v", err)
	}
	third.Shutdown()
	third.WaitForShutdown()
}

// TestATakenClientPortFailsAtOnce starts an embedded server on an address
// something else listens on: it fails at once, naming nats-listen, the
// address and why, instead of waiting out the ready timeout; and lets go
// of the data directory.
func TestATakenClientPortFailsAtOnce(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	addr := l.Addr().String()
	dir := t.TempDir()
	began := time.Now()
	srv, err := natsserver.Start(natsserver.Config{Listen: addr, DataDir: dir})
	took := time.Since(began)
	if err == nil {
		srv.Shutdown()
		t.Fatal("the server started on a taken port")
	}
	if want := "nats-listen " + addr + ": cannot listen"; !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("error %q, want %q and the reason", err, want)
	}
	if took > 5*time.Second {
		t.Errorf("the failure took %s, want at once", took)
	}
	srv, err = natsserver.Start(natsserver.Config{Listen: "127.0.0.1:-1", DataDir: dir})
	if err != nil {
		t.Fatalf("the failed server kept the data directory: %v", err)
	}
	srv.Shutdown()
	srv.WaitForShutdown()
}

// TestBadListenAddressesNameTheKey: each names nats-listen and the address.
func TestBadListenAddressesNameTheKey(t *testing.T) {
	for addr, want := range map[string]string{
		"":                `nats-listen "": missing port in address`,
		"nonsense":        `nats-listen "nonsense": missing port in address`,
		"127.0.0.1:http":  `nats-listen "127.0.0.1:http": port "http" is not -1 to 65535`,
		"127.0.0.1:70000": `nats-listen "127.0.0.1:70000": port "70000" is not -1 to 65535`,
	} {
		if _, _, err := natsserver.ParseListen(addr); err == nil || err.Error() != want {
			t.Errorf("%q: error %v, want %q", addr, err, want)
		}
	}
	if host, port, err := natsserver.ParseListen("127.0.0.1:0"); err != nil || host != "127.0.0.1" || port != -1 {
		t.Errorf("127.0.0.1:0: %q %d %v, want a free port", host, port, err)
	}
}
