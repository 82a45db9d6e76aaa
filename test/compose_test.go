package test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/integration-events/integration-events/natsserver"
	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats-server/v2/server"
)

// There is no Docker engine on CI, so docker-compose.yml is never run there.
// These tests check its structure instead: the file is loaded with compose-go
// (the loader Docker Compose itself uses), each NATS node's configuration is
// loaded and validated by the NATS server's own options code, and the two
// sides are checked against each other. That the topology works (three
// clustered nodes, replicated streams, several processors) is proven by the
// in-process cluster tests.

// natsNode is one NATS service of the compose file with its loaded config.
type natsNode struct {
	service string
	opts    *server.Options
}

func TestComposeClusterTopology(t *testing.T) {
	root := repoRoot(t)
	project := loadCompose(t, root)

	var nodes []natsNode
	var replicas []types.ServiceConfig
	for _, name := range sortedServiceNames(project) {
		svc := project.Services[name]
		switch {
		case isOfficialNATSImage(svc.Image):
			if err := checkNATSTag(svc.Image); err != nil {
				t.Errorf("service %s: %v", name, err)
			}
			nodes = append(nodes, natsNode{service: name, opts: loadNATSConfig(t, root, svc)})
		case svc.Build != nil:
			replicas = append(replicas, svc)
		default:
			t.Errorf("service %s: neither the official nats image nor built from the Dockerfile (image %q)", name, svc.Image)
		}
	}
	if len(nodes) != 3 {
		t.Fatalf("%d services on the official nats image, want 3", len(nodes))
	}
	if len(replicas) != 2 {
		t.Fatalf("%d integration-events services, want 2", len(replicas))
	}

	checkCluster(t, project, nodes)
	for _, svc := range replicas {
		checkReplica(t, root, svc, nodes)
	}

	// Only one node's client port reaches the host, and only on loopback.
	published := 0
	for _, n := range nodes {
		for _, p := range project.Services[n.service].Ports {
			if p.HostIP != "127.0.0.1" {
				t.Errorf("%s publishes port %d on %q, want 127.0.0.1", n.service, p.Target, p.HostIP)
			}
			if int(p.Target) == n.opts.Port {
				published++
			}
		}
	}
	if published != 1 {
		t.Errorf("%d NATS client ports published to the host, want 1", published)
	}
}

// checkCluster checks that the three nodes form one JetStream cluster: the
// same cluster name, distinct server names, and routes naming every node by
// its compose service name on the cluster port.
func checkCluster(t *testing.T, project *types.Project, nodes []natsNode) {
	t.Helper()
	var names []string
	for _, n := range nodes {
		names = append(names, n.service)
	}
	clusterName := nodes[0].opts.Cluster.Name
	if clusterName == "" {
		t.Errorf("%s: no cluster name", nodes[0].service)
	}
	serverNames := map[string]string{}
	for _, n := range nodes {
		o := n.opts
		if o.Cluster.Name != clusterName {
			t.Errorf("%s: cluster name %q, %s has %q", n.service, o.Cluster.Name, nodes[0].service, clusterName)
		}
		if o.ServerName == "" {
			t.Errorf("%s: no server_name", n.service)
		} else if other, dup := serverNames[o.ServerName]; dup {
			t.Errorf("%s and %s share server_name %q", other, n.service, o.ServerName)
		}
		serverNames[o.ServerName] = n.service

		if o.Cluster.Port <= 0 {
			t.Errorf("%s: no cluster port", n.service)
		}
		var hosts []string
		for _, r := range o.Routes {
			if r.Scheme != "nats-route" && r.Scheme != "nats" {
				t.Errorf("%s: route %s: scheme %q", n.service, r, r.Scheme)
			}
			if r.Port() != strconv.Itoa(o.Cluster.Port) {
				t.Errorf("%s: route %s is not on the cluster port %d", n.service, r, o.Cluster.Port)
			}
			hosts = append(hosts, r.Hostname())
		}
		sort.Strings(hosts)
		if !slices.Equal(hosts, names) {
			t.Errorf("%s: routes to %v, want one to each node %v", n.service, hosts, names)
		}

		if !o.JetStream {
			t.Errorf("%s: JetStream is not enabled", n.service)
		}
		checkStoreOnVolume(t, project, n)

		// The processor dead-letters outcomes over 1 MiB with their size; the
		// server must let them through, as the embedded server does.
		if int(o.MaxPayload) <= subjects.MaxOutcomeBytes || int(o.MaxPayload) < natsserver.MaxPayload {
			t.Errorf("%s: max_payload %d, want at least %d like the embedded server", n.service, o.MaxPayload, natsserver.MaxPayload)
		}
		if o.Port != server.DEFAULT_PORT {
			t.Errorf("%s: client port %d, want %d", n.service, o.Port, server.DEFAULT_PORT)
		}
		if o.HTTPPort <= 0 {
			t.Errorf("%s: no monitoring port", n.service)
		}
	}
}

// checkStoreOnVolume checks that a node's JetStream store_dir lies on a named
// volume of its own, so it survives the container.
func checkStoreOnVolume(t *testing.T, project *types.Project, n natsNode) {
	t.Helper()
	dir := n.opts.StoreDir
	if dir == "" {
		t.Errorf("%s: no JetStream store_dir", n.service)
		return
	}
	for _, v := range project.Services[n.service].Volumes {
		if v.Type != types.VolumeTypeVolume || !within(dir, v.Target) {
			continue
		}
		if _, ok := project.Volumes[v.Source]; !ok {
			t.Errorf("%s: store_dir %s on volume %q, which is not declared", n.service, dir, v.Source)
		}
		for _, other := range project.Services {
			if other.Name == n.service {
				continue
			}
			for _, ov := range other.Volumes {
				if ov.Type == types.VolumeTypeVolume && ov.Source == v.Source {
					t.Errorf("%s: store_dir volume %q is also mounted by %s", n.service, v.Source, other.Name)
				}
			}
		}
		return
	}
	t.Errorf("%s: store_dir %s is not on a named volume", n.service, dir)
}

// checkReplica checks one integration-events service: built from the repo's
// Dockerfile, `serve` pointed at every node with one replica per node, started
// after the nodes, and given time to drain on stop.
func checkReplica(t *testing.T, root string, svc types.ServiceConfig, nodes []natsNode) {
	t.Helper()
	if svc.Build.Context != root {
		t.Errorf("%s: built from %s, want the repository root %s", svc.Name, svc.Build.Context, root)
	}
	if df := svc.Build.Dockerfile; df != "" && df != "Dockerfile" {
		t.Errorf("%s: built from %s, want Dockerfile", svc.Name, df)
	}
	cmd := []string(svc.Command)
	if len(cmd) == 0 || cmd[0] != "serve" {
		t.Fatalf("%s: command %q does not run serve", svc.Name, cmd)
	}

	rawURLs, ok := flagValue(cmd, "nats-url")
	if !ok {
		t.Errorf("%s: command %q has no --nats-url", svc.Name, cmd)
	}
	var hosts []string
	for _, raw := range strings.Split(rawURLs, ",") {
		if raw == "" {
			continue
		}
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil || u.Scheme != "nats" || u.Hostname() == "" {
			t.Errorf("%s: --nats-url entry %q is not a nats:// URL", svc.Name, raw)
			continue
		}
		hosts = append(hosts, u.Hostname())
		i := slices.IndexFunc(nodes, func(n natsNode) bool { return n.service == u.Hostname() })
		if i < 0 {
			continue
		}
		if port := u.Port(); port != strconv.Itoa(nodes[i].opts.Port) {
			t.Errorf("%s: --nats-url entry %q: %s listens for clients on %d", svc.Name, raw, nodes[i].service, nodes[i].opts.Port)
		}
	}
	sort.Strings(hosts)
	var names []string
	for _, n := range nodes {
		names = append(names, n.service)
	}
	if !slices.Equal(hosts, names) {
		t.Errorf("%s: --nats-url names %v, want every node %v", svc.Name, hosts, names)
	}

	if r, ok := flagValue(cmd, "replicas"); !ok || r != strconv.Itoa(len(nodes)) {
		t.Errorf("%s: --replicas %q, want %d (one per node)", svc.Name, r, len(nodes))
	}
	if _, embedded := flagValue(cmd, "nats-listen"); embedded {
		t.Errorf("%s: --nats-listen is for the embedded server", svc.Name)
	}

	for _, n := range nodes {
		if _, ok := svc.DependsOn[n.service]; !ok {
			t.Errorf("%s: does not depend on %s", svc.Name, n.service)
		}
	}
	if svc.Restart != types.RestartPolicyUnlessStopped {
		t.Errorf("%s: restart %q, want %q", svc.Name, svc.Restart, types.RestartPolicyUnlessStopped)
	}
	if svc.StopSignal != "SIGTERM" {
		t.Errorf("%s: stop_signal %q, want SIGTERM", svc.Name, svc.StopSignal)
	}
	// serve drains for up to --drain-timeout (30s) before it exits.
	drain := 30 * time.Second
	if d, ok := flagValue(cmd, "drain-timeout"); ok {
		var err error
		if drain, err = time.ParseDuration(d); err != nil {
			t.Errorf("%s: --drain-timeout %q: %v", svc.Name, d, err)
		}
	}
	// The bound README's "Stopping" documents and the shutdown tests hold.
	if svc.StopGracePeriod == nil || time.Duration(*svc.StopGracePeriod) < drain+stopMargin {
		t.Errorf("%s: stop_grace_period %v, want at least the drain timeout %v plus %v", svc.Name, svc.StopGracePeriod, drain, stopMargin)
	}
}

func TestComposeDockerfile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var stages int
	var user, entrypoint string
	cgoOff := false
	for _, line := range dockerfileInstructions(string(data)) {
		word, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(word) {
		case "FROM":
			stages++
			user, entrypoint = "", "" // USER and ENTRYPOINT do not carry over stages
		case "USER":
			user = rest
		case "ENTRYPOINT":
			entrypoint = rest
		case "RUN", "ENV", "ARG":
			if regexp.MustCompile(`(^|\s)CGO_ENABLED=0(\s|$)`).MatchString(rest) {
				cgoOff = true
			}
		}
	}
	if stages < 2 {
		t.Errorf("%d FROM stages, want a multi-stage build", stages)
	}
	if !cgoOff {
		t.Error("the binary is not built with CGO_ENABLED=0")
	}
	uid, _, _ := strings.Cut(user, ":")
	if uid == "" || uid == "root" || uid == "0" {
		t.Errorf("final stage runs as %q, want a non-root USER", user)
	}
	if !strings.Contains(entrypoint, "integration-events") {
		t.Errorf("final stage ENTRYPOINT %q, want the binary", entrypoint)
	}
}

// repoRoot is the repository root, from the test's directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root: %v", err)
	}
	return root
}

// loadCompose loads docker-compose.yml as Docker Compose would, without the
// caller's environment (the file must not depend on it).
func loadCompose(t *testing.T, root string) *types.Project {
	t.Helper()
	file := filepath.Join(root, "docker-compose.yml")
	details := types.ConfigDetails{
		WorkingDir:  root,
		ConfigFiles: []types.ConfigFile{{Filename: file}},
		Environment: types.Mapping{},
	}
	project, err := loader.LoadWithContext(context.Background(), details, func(o *loader.Options) {
		o.SetProjectName("integration-events", true)
	})
	if err != nil {
		t.Fatalf("load %s: %v", file, err)
	}
	return project
}

func sortedServiceNames(p *types.Project) []string {
	names := make([]string, 0, len(p.Services))
	for name := range p.Services {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// isOfficialNATSImage reports whether ref names Docker Hub's official nats
// image.
func isOfficialNATSImage(ref string) bool {
	repo, _, _ := strings.Cut(ref, ":")
	switch repo {
	case "nats", "library/nats", "docker.io/library/nats", "docker.io/nats":
		return true
	}
	return false
}

// checkNATSTag checks that a nats image is pinned to 2.11 or later.
func checkNATSTag(ref string) error {
	_, tag, _ := strings.Cut(ref, ":")
	m := regexp.MustCompile(`^2\.(\d+)`).FindStringSubmatch(tag)
	if m == nil {
		return fmt.Errorf("image %q is not pinned to a 2.x release", ref)
	}
	if minor, _ := strconv.Atoi(m[1]); minor < 11 {
		return fmt.Errorf("image %q is older than 2.11", ref)
	}
	return nil
}

// loadNATSConfig reads the config file a nats service runs with from the
// repository and loads it with the NATS server's options code, under the
// service's environment (the file may refer to it as $VAR), then has the
// server validate the options.
func loadNATSConfig(t *testing.T, root string, svc types.ServiceConfig) *server.Options {
	t.Helper()
	target := "/etc/nats/nats-server.conf" // the image's default
	cmd := []string(svc.Command)
	if v, ok := flagValue(cmd, "config"); ok {
		target = v
	} else if v, ok := flagValue(cmd, "c"); ok {
		target = v
	}
	var source string
	for _, v := range svc.Volumes {
		if v.Type == types.VolumeTypeBind && v.Target == target {
			source = v.Source
		}
	}
	if source == "" {
		t.Fatalf("%s: no file mounted at its config path %s", svc.Name, target)
	}
	if !within(source, root) {
		t.Fatalf("%s: config %s is not in the repository", svc.Name, source)
	}
	// The node sees its own environment only: clear every $VAR the file
	// refers to (t.Setenv restores the caller's values at the end), then set
	// the service's.
	data, err := os.ReadFile(source)
	if err != nil {
		t.Fatal(err)
	}
	var vars []string
	for _, m := range regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`).FindAllStringSubmatch(string(data), -1) {
		vars = append(vars, m[1])
	}
	for k := range svc.Environment {
		vars = append(vars, k)
	}
	for _, k := range vars {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	for k, v := range svc.Environment {
		if v != nil {
			os.Setenv(k, *v)
		}
	}
	defer func() {
		for _, k := range vars {
			os.Unsetenv(k)
		}
	}()
	opts, err := server.ProcessConfigFile(source)
	if err != nil {
		t.Fatalf("%s: %s: %v", svc.Name, source, err)
	}
	// NewServer validates the options (cluster, JetStream, limits) without
	// listening or touching the store directory.
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatalf("%s: %s: the server refuses it: %v", svc.Name, source, err)
	}
	s.Shutdown()
	return opts
}

// flagValue finds --name VALUE or --name=VALUE (or one dash) in args.
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		for _, prefix := range []string{"--", "-"} {
			if a == prefix+name {
				if i+1 < len(args) {
					return args[i+1], true
				}
				return "", true
			}
			if v, ok := strings.CutPrefix(a, prefix+name+"="); ok {
				return v, true
			}
		}
	}
	return "", false
}

// within reports whether path is dir or inside it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// dockerfileInstructions returns a Dockerfile's instructions, comments
// dropped and continuation lines joined.
func dockerfileInstructions(src string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(src, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if s, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(s)
			cur.WriteString(" ")
			continue
		}
		cur.WriteString(line)
		out = append(out, cur.String())
		cur.Reset()
	}
	return out
}
