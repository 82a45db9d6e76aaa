package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"github.com/spf13/cobra"
)

// apiClient calls the operator API.
type apiClient struct {
	nc   *nats.Conn
	subj subjects.Subjects
}

type clientFlags struct {
	server string
	root   string
}

func (f *clientFlags) add(cmd *cobra.Command) {
	def := os.Getenv("NATS_URL")
	if def == "" {
		def = "nats://127.0.0.1:4222"
	}
	cmd.PersistentFlags().StringVar(&f.server, "server", def, "NATS server of the operator API (default $NATS_URL)")
	cmd.PersistentFlags().StringVar(&f.root, "subject-root", subjects.DefaultRoot, "root token of every subject")
}

func (f *clientFlags) connect() (*apiClient, error) {
	subj, err := subjects.New(f.root)
	if err != nil {
		return nil, err
	}
	nc, err := nats.Connect(f.server, nats.Name("integration-events-cli"), nats.Timeout(5*time.Second))
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", f.server, err)
	}
	return &apiClient{nc: nc, subj: subj}, nil
}

// request connects, calls endpoint with req, decodes the reply into resp
// and closes the connection.
func (f *clientFlags) request(endpoint string, req, resp any) error {
	c, err := f.connect()
	if err != nil {
		return err
	}
	defer c.nc.Close()
	return c.call(endpoint, req, resp)
}

// call sends req to endpoint and decodes the reply into resp, turning a micro
// error reply into an error.
func (c *apiClient) call(endpoint string, req, resp any) error {
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	m, err := c.nc.Request(c.subj.API(endpoint), b, 30*time.Second)
	if err != nil {
		return fmt.Errorf("%s: %w (is integration-events serve running?)", endpoint, err)
	}
	if code := m.Header.Get(micro.ErrorCodeHeader); code != "" {
		return fmt.Errorf("%s: %s %s", endpoint, code, m.Header.Get(micro.ErrorHeader))
	}
	return json.Unmarshal(m.Data, resp)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func eventsCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{Use: "events", Short: "List and action integration error events."}
	cf.add(cmd)

	var req subjects.ListEventsRequest
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List events, newest first (not actioned ones unless --include-actioned).",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// pageSize is always sent, so --page-size 0 is refused as the API
			// refuses {"pageSize": 0} instead of becoming the default.
			wire := struct {
				subjects.ListEventsRequest
				PageSize int `json:"pageSize"`
			}{req, req.PageSize}
			var resp subjects.ListEventsResponse
			if err := cf.request(subjects.EndpointEventsList, wire, &resp); err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), resp)
			}
			printEvents(cmd.OutOrStdout(), resp.Data)
			if resp.NextToken != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "\nmore: --next-token %s\n", resp.NextToken)
			}
			return nil
		},
	}
	lf := list.Flags()
	lf.BoolVar(&req.IncludeActioned, "include-actioned", false, "include actioned events")
	lf.StringVar(&req.EventName, "event-name", "", "only events of this name, e.g. integration.perform.error")
	lf.StringVar(&req.IntegrationID, "integration", "", "only events of this integration")
	lf.IntVar(&req.PageSize, "page-size", subjects.DefaultPageSize, "events per page (1-100)")
	lf.StringVar(&req.NextToken, "next-token", "", "continue a listing")
	lf.BoolVar(&asJSON, "json", false, "print the API's JSON")

	var areq subjects.ActionEventsRequest
	action := &cobra.Command{
		Use:   "action ID...",
		Short: "Mark events as actioned.",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, ids []string) error {
			areq.IDs = ids
			var resp subjects.ActionEventsResponse
			if err := cf.request(subjects.EndpointEventsAction, areq, &resp); err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), resp)
		},
	}
	action.Flags().StringVar(&areq.ActionedBy, "by", "", "who actioned them (required)")
	action.Flags().StringVar(&areq.Note, "note", "", "what was done")
	_ = action.MarkFlagRequired("by")

	get := &cobra.Command{
		Use:   "get ID",
		Short: "Show one event with its data.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var rec subjects.EventRecord
			if err := cf.request(subjects.EndpointEventsGet, subjects.GetEventRequest{ID: args[0]}, &rec); err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), rec)
		},
	}
	cmd.AddCommand(list, action, get)
	return cmd
}

func printEvents(w io.Writer, recs []subjects.EventRecord) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTIME\tEVENT\tINTEGRATION\tACTIONED\tMESSAGE")
	for _, r := range recs {
		var d subjects.EventData
		_ = json.Unmarshal(r.Data, &d)
		actioned := "no"
		if r.DtActioned != nil {
			actioned = r.DtActioned.UTC().Format(time.DateTime) + " by " + r.ActionedBy
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.EventTime.UTC().Format(time.DateTime), r.EventName, r.IntegrationID, actioned, gist(d, 160))
	}
	_ = tw.Flush()
}

// clip puts s on one line of at most n characters.
func clip(s string, n int) string {
	r := []rune(strings.ReplaceAll(s, "\n", " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:max(0, n-3)]) + "..."
}

// gist fits an event's message into n characters with its remedy in view:
// the provider's text is clipped first, since the remedy says what to do.
func gist(d subjects.EventData, n int) string {
	if len([]rune(d.Message)) <= n || d.Remedy == "" || !strings.HasSuffix(d.Message, d.Remedy) {
		return clip(d.Message, n)
	}
	remedy := clip(d.Remedy, n*2/3)
	cause := strings.TrimSpace(strings.TrimSuffix(d.Message, d.Remedy))
	return clip(cause, n-len([]rune(remedy))-1) + " " + remedy
}

func integrationsCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{Use: "integrations", Short: "Show and re-enable integrations."}
	cf.add(cmd)
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show an integration's failure counter.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var rec subjects.FailureCounter
			if err := cf.request(subjects.EndpointIntegrationGet, subjects.IntegrationRequest{IntegrationID: args[0]}, &rec); err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), rec)
		},
	}
	var ereq subjects.EnableIntegrationRequest
	enable := &cobra.Command{
		Use:   "enable ID",
		Short: "Re-enable an integration once its cause is fixed: resets the streak and opens a new episode.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ereq.IntegrationID = args[0]
			if ereq.EnabledBy == "" {
				ereq.EnabledBy = os.Getenv("USER")
			}
			var rec subjects.FailureCounter
			if err := cf.request(subjects.EndpointIntegrationEnable, ereq, &rec); err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), rec)
		},
	}
	enable.Flags().StringVar(&ereq.EnabledBy, "by", "", "who enabled it (default $USER)")
	enable.Flags().StringVar(&ereq.Reason, "reason", "", "why, e.g. what was fixed")
	cmd.AddCommand(show, enable)
	return cmd
}
