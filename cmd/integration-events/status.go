package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/integration-events/integration-events/operator"
	"github.com/integration-events/integration-events/redact"
	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// statusWidth is the widest a line of the text gets, but for a long
// integration id or destination.
const statusWidth = 100

// statusDisabledShown is how many disabled integrations the text lists;
// --json lists subjects.MaxStatusDisabled.
const statusDisabledShown = 3

func statusCmd() *cobra.Command {
	var cf clientFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Summarise the deployment: server, streams, partition lag, replicas, disabled integrations, events not actioned.",
		Long: "Summarise the deployment on one screen, from the operator API's status endpoint: the NATS server and its round trip, " +
			"each stream's and bucket's messages and bytes, each partition's consumer lag and replica, the live replicas, " +
			"the integrations disabled now and the events not actioned by event name. Exits 1 when the server or the service does not answer.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := fetchStatus(&cf)
			out := cmd.OutOrStdout()
			if asJSON && err != nil {
				// Only what was reached: no zero counts that read as real.
				if perr := printJSON(out, struct {
					Server subjects.StatusServer `json:"server"`
				}{st.Server}); perr != nil {
					return perr
				}
				return err
			}
			if asJSON {
				return printJSON(out, st)
			}
			printStatus(out, st, colourful(out))
			return err
		},
	}
	cf.add(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON")
	return cmd
}

// fetchStatus calls the status endpoint and puts this client's view of the
// server (URL, round trip) in its place. On an error the status holds the
// server only, saying what was reached.
func fetchStatus(cf *clientFlags) (subjects.DeploymentStatus, error) {
	var st subjects.DeploymentStatus
	reached := false
	err := cf.call(subjects.EndpointStatus, func(ctx context.Context, c *operator.Client) error {
		nc := c.Conn()
		reached = true
		sv := &st.Server
		sv.URL, sv.Name, sv.Version = redact.URL(nc.ConnectedUrl()), nc.ConnectedServerName(), nc.ConnectedServerVersion()
		rtt, err := nc.RTT()
		if err != nil {
			return fmt.Errorf("round trip to %s: %w", sv.URL, err)
		}
		sv.Reachable, sv.RTTMillis = true, float64(rtt.Microseconds())/1000
		got, err := c.Status(ctx)
		if err != nil {
			return err
		}
		got.Server.URL, got.Server.Reachable, got.Server.RTTMillis = sv.URL, true, sv.RTTMillis
		st = got
		return nil
	})
	if err != nil {
		st.Server.Error = err.Error()
		if !reached { // the URL connect took, from $NATS_URL too
			st.Server.URL = redact.URLs(cf.server)
		}
		switch {
		case reached:
			st.Server.PermissionRefused = errors.Is(err, errRefused)
		case authRefused(err):
			st.Server.Reachable, st.Server.AuthRefused = true, true
			err = fmt.Errorf("NATS server refused authentication: %w", err)
		default:
			err = fmt.Errorf("NATS server unreachable: %w", err)
		}
	}
	return st, err
}

// authRefused reports whether err is the server refusing the client's
// credentials at connect.
func authRefused(err error) bool {
	return errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired) || errors.Is(err, nats.ErrAuthRevoked)
}

// colourful reports whether w is a terminal that takes colour codes.
func colourful(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	return term.IsTerminal(int(f.Fd()))
}

// printStatus writes st as aligned text: for 8 partitions and one
// replica, 21 lines with one disabled integration, 24 at most. Colour marks what needs an
// operator (lag, disabled integrations, events not actioned) when colour
// is true.
func printStatus(w io.Writer, st subjects.DeploymentStatus, colour bool) {
	paint := func(s string, bad bool) string {
		if !colour || !bad {
			return s
		}
		return "\x1b[1;31m" + s + "\x1b[0m"
	}
	sv := st.Server
	if sv.AuthRefused {
		fmt.Fprintf(w, "%-13s %s  %s\n", "Server", sv.URL, paint("reachable, authentication refused (check the credentials): "+sv.Error, true))
		return
	}
	if !sv.Reachable {
		fmt.Fprintf(w, "%-13s %s  %s\n", "Server", sv.URL, paint("unreachable: "+sv.Error, true))
		return
	}
	fmt.Fprintf(w, "%-13s %s  %s %s  rtt %.2fms\n", "Server", sv.URL, sv.Name, sv.Version, sv.RTTMillis)
	if sv.Error != "" && sv.PermissionRefused {
		fmt.Fprintf(w, "%-13s %s\n", "Service", paint(sv.Error, true))
		return
	}
	if sv.Error != "" {
		fmt.Fprintf(w, "%-13s %s\n", "Service", paint("not answering: "+sv.Error, true))
		return
	}
	fmt.Fprintf(w, "%-13s %s  at %s\n", "Service", st.ServiceVersion, st.Time.UTC().Format("2006-01-02 15:04:05 UTC"))
	printStreams(w, st.Streams)
	printPartitions(w, st.Partitions, st.Replicas, paint)
	fmt.Fprintf(w, "%-13s", fmt.Sprintf("Replicas (%d)", len(st.Replicas)))
	if len(st.Replicas) == 0 {
		fmt.Fprint(w, " "+paint("none live: no partition is processed", true))
	}
	for i, r := range st.Replicas {
		if i > 0 {
			fmt.Fprintf(w, "%-13s", "")
		}
		fmt.Fprintf(w, " %s %s  partitions %s  heartbeat %s ago\n", replicaLetter(i), short(r.ID, 8), ranges(r.Partitions), st.Time.Sub(r.LastHeartbeat).Round(100*time.Millisecond))
	}
	if len(st.Replicas) == 0 {
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, paint(fmt.Sprintf("Disabled (%d)", st.Disabled.Total), st.Disabled.Total > 0))
	for _, d := range st.Disabled.Integrations[:min(len(st.Disabled.Integrations), statusDisabledShown)] {
		since := "-"
		if d.DisabledAt != nil {
			since = d.DisabledAt.UTC().Format("2006-01-02 15:04")
		}
		line := fmt.Sprintf("  %-20s %-10s since %s  %d failures: ", clip(d.IntegrationID, 20), clip(orDash(d.Destination), 10), since, d.ConsecutiveFailures)
		if d.DisabledBy != "" && d.DisabledBy != "disableAfter" {
			line = fmt.Sprintf("  %-20s %-10s since %s  %d failures (%s): ", clip(d.IntegrationID, 20), clip(orDash(d.Destination), 10), since, d.ConsecutiveFailures, clip(d.DisabledBy, 40))
		}
		fmt.Fprintln(w, line+clip(orDash(d.LastError), max(statusWidth-len(line), 20)))
	}
	if more := st.Disabled.Total - min(len(st.Disabled.Integrations), statusDisabledShown); more > 0 {
		fmt.Fprintf(w, "  ... %d more (--json lists %d; integrations list lists all)\n", more, subjects.MaxStatusDisabled)
	}
	na := st.NotActioned
	label := "exact"
	if !na.Exact {
		label = fmt.Sprintf("at most: %d of %d acknowledgements read", na.ActionedRead, na.ActionedTotal)
	}
	fmt.Fprintf(w, "%s  %s (%s)\n", paint("Not actioned", na.Total > 0), humanize.Comma(int64(na.Total)), label)
	for _, name := range subjects.EventNames() {
		fmt.Fprintf(w, "  %-40s %9s of %s stored\n", name, humanize.Comma(int64(na.ByEventName[name])), humanize.Comma(int64(na.Stored[name])))
	}
}

// printStreams writes the streams and the buckets side by side.
func printStreams(w io.Writer, all []subjects.StreamStatus) {
	var streams, buckets []subjects.StreamStatus
	for _, s := range all {
		if s.Kind == subjects.StreamKindBucket {
			buckets = append(buckets, s)
		} else {
			streams = append(streams, s)
		}
	}
	// Each name column is as wide as its longest name.
	width := func(head string, rows []subjects.StreamStatus) int {
		n := len(head)
		for _, r := range rows {
			n = max(n, len(r.Name))
		}
		return n
	}
	sw, bw := width("Streams", streams), width("Buckets", buckets)
	cell := func(rows []subjects.StreamStatus, nameWidth, i int) string {
		if i >= len(rows) {
			return strings.Repeat(" ", nameWidth+21)
		}
		return fmt.Sprintf("%-*s %9s %10s", nameWidth, rows[i].Name, humanize.Comma(int64(rows[i].Messages)), humanize.IBytes(rows[i].Bytes))
	}
	fmt.Fprintf(w, "%-*s %9s %10s  %-*s %9s %10s\n", sw, "Streams", "messages", "bytes", bw, "Buckets", "messages", "bytes")
	for i := range max(len(streams), len(buckets)) {
		fmt.Fprintf(w, "%s  %s\n", cell(streams, sw, i), strings.TrimRight(cell(buckets, bw, i), " "))
	}
}

// partitionsPerRow is how many partitions one row of the lag table shows.
const partitionsPerRow = 10

// printPartitions writes the lag table: a column per partition, rows of
// partitionsPerRow.
func printPartitions(w io.Writer, parts []subjects.PartitionStatus, reps []subjects.ReplicaStatus, paint func(string, bool) string) {
	letter := map[string]string{}
	for i, r := range reps {
		letter[r.ID] = replicaLetter(i)
	}
	for lo := 0; lo < len(parts); lo += partitionsPerRow {
		row := parts[lo:min(lo+partitionsPerRow, len(parts))]
		lines := [4]strings.Builder{}
		for i, h := range []string{"Partition", "  pending", "  ack pending", "  replica"} {
			fmt.Fprintf(&lines[i], "%-13s", h)
		}
		for _, p := range row {
			fmt.Fprintf(&lines[0], " %7d", p.Partition)
			fmt.Fprintf(&lines[1], " %s", paint(fmt.Sprintf("%7s", lagCount(p.Pending)), p.Pending > 0))
			fmt.Fprintf(&lines[2], " %s", paint(fmt.Sprintf("%7s", lagCount(uint64(p.AckPending))), p.AckPending > 0))
			r := orDash(letter[p.Replica])
			if p.Missing {
				r = "none"
			}
			fmt.Fprintf(&lines[3], " %7s", r)
		}
		for _, l := range lines {
			fmt.Fprintln(w, l.String())
		}
	}
}

// lagCount fits n in a lag column of 7: 999,999, then 1.0M.
func lagCount(n uint64) string {
	if n < 1_000_000 {
		return humanize.Comma(int64(n))
	}
	return fmt.Sprintf("%.1fM", float64(n)/1e6)
}

// replicaLetter names the i-th replica in the lag table: a to z, then r27...
func replicaLetter(i int) string {
	if i < 26 {
		return string(rune('a' + i))
	}
	return "r" + strconv.Itoa(i+1)
}

// ranges writes sorted partitions compactly: "0-3,6".
func ranges(ps []int) string {
	if len(ps) == 0 {
		return "none"
	}
	ps = slices.Sorted(slices.Values(ps))
	var b strings.Builder
	for i := 0; i < len(ps); {
		j := i
		for j+1 < len(ps) && ps[j+1] == ps[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(ps[i]))
		if j > i {
			b.WriteString("-" + strconv.Itoa(ps[j]))
		}
		i = j + 1
	}
	return b.String()
}

func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
