package test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/natsserver"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Cluster is an in-process NATS JetStream cluster with routes on loopback.
// Its nodes keep their ports and data across Stop and Restart, so clients
// reconnect and JetStream recovers as it would after a real node loss.
type Cluster struct {
	t       testing.TB
	Name    string
	Servers []*server.Server
	opts    []*server.Options
}

// StartCluster starts an n-node cluster and waits until JetStream has a
// meta leader. The nodes are shut down at cleanup.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	c := &Cluster{t: t, Name: "integration-events-test"}
	clientPorts, routePorts := make([]string, n), make([]string, n)
	var routes []string
	for i := range n {
		clientPorts[i], routePorts[i] = FreePort(t), FreePort(t)
		routes = append(routes, "nats-route://"+routePorts[i])
	}
	root := t.TempDir()
	for i := range n {
		opts := &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1",
			Port:       portOf(clientPorts[i]),
			JetStream:  true,
			StoreDir:   filepath.Join(root, fmt.Sprintf("n%d", i+1)),
			MaxPayload: natsserver.MaxPayload,
			NoLog:      true,
			NoSigs:     true,
			Cluster:    server.ClusterOpts{Name: c.Name, Host: "127.0.0.1", Port: portOf(routePorts[i])},
			Routes:     server.RoutesFromStr(strings.Join(routes, ",")),
		}
		c.opts = append(c.opts, opts)
		c.Servers = append(c.Servers, nil)
	}
	for i := range n {
		c.start(i)
	}
	t.Cleanup(func() {
		for i := range c.Servers {
			c.Stop(i)
		}
	})
	c.WaitReady()
	return c
}

func portOf(addr string) int {
	var p int
	fmt.Sscanf(addr[strings.LastIndexByte(addr, ':')+1:], "%d", &p)
	return p
}

func (c *Cluster) start(i int) {
	c.t.Helper()
	s, err := server.NewServer(c.opts[i])
	if err != nil {
		c.t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		c.t.Fatalf("node %d not ready", i+1)
	}
	c.Servers[i] = s
}

// URLs is the comma-separated client URL list of every node.
func (c *Cluster) URLs() string {
	urls := make([]string, len(c.opts))
	for i, o := range c.opts {
		urls[i] = fmt.Sprintf("nats://127.0.0.1:%d", o.Port)
	}
	return strings.Join(urls, ",")
}

// Stop shuts node i down (its data stays).
func (c *Cluster) Stop(i int) {
	if s := c.Servers[i]; s != nil {
		s.Shutdown()
		s.WaitForShutdown()
		c.Servers[i] = nil
	}
}

// Restart starts node i again on its ports and data, and waits until the
// cluster has a meta leader.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	c.start(i)
	c.WaitReady()
}

// WaitReady waits until JetStream answers account requests through every
// running node, which needs a meta leader.
func (c *Cluster) WaitReady() {
	c.t.Helper()
	CheckFor(c.t, 60*time.Second, 50*time.Millisecond, func() error {
		for i, s := range c.Servers {
			if s == nil {
				continue
			}
			nc, err := nats.Connect(s.ClientURL())
			if err != nil {
				return err
			}
			js, _ := jetstream.New(nc)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err = js.AccountInfo(ctx)
			cancel()
			nc.Close()
			if err != nil {
				return fmt.Errorf("node %d: %w", i+1, err)
			}
		}
		return nil
	})
}
