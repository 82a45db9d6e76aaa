package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/integration-events/integration-events/operator"
	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"
)

// errRefused is a request the NATS server refused for the user's
// permissions: on the API subject, or on the inbox its reply would reach.
var errRefused = errors.New("refused by the NATS server")

// call connects, runs f with a client of the operator API and closes the
// connection. An error reply reads "endpoint: 404 message".
func (f *clientFlags) call(endpoint string, fn func(context.Context, *operator.Client) error) error {
	subj, err := subjects.New(f.root)
	if err != nil {
		return err
	}
	ctx, nc, done, err := f.session()
	if err != nil {
		return err
	}
	defer done()
	if err := fn(ctx, operator.NewClient(nc, subj)); err != nil {
		var oe *operator.Error
		if errors.As(err, &oe) {
			return fmt.Errorf("%s: %w", endpoint, err)
		}
		if denied := context.Cause(ctx); errors.Is(denied, nats.ErrPermissionViolation) {
			return fmt.Errorf("%s: %w: %w (check the user's role and --inbox-prefix)", endpoint, errRefused, denied)
		}
		return err
	}
	return nil
}

// checkPageSize refuses, before any request, a --page-size the API would
// refuse (operator.CheckPageSize), as the command's own error:
// "--page-size 500: must be 1 to 100".
func checkPageSize(n int) error {
	if operator.CheckPageSize(n) != nil {
		return fmt.Errorf("--page-size %d: must be 1 to %d", n, subjects.MaxPageSize)
	}
	return nil
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
			// --page-size 0 is refused as the API refuses {"pageSize": 0},
			// instead of becoming the default.
			if err := checkPageSize(req.PageSize); err != nil {
				return err
			}
			var resp subjects.ListEventsResponse
			err := cf.call(subjects.EndpointEventsList, func(ctx context.Context, c *operator.Client) (err error) {
				resp, err = c.ListEvents(ctx, req)
				return err
			})
			if err != nil {
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
			err := cf.call(subjects.EndpointEventsAction, func(ctx context.Context, c *operator.Client) (err error) {
				resp, err = c.ActionEvents(ctx, areq)
				return err
			})
			if err != nil {
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
			err := cf.call(subjects.EndpointEventsGet, func(ctx context.Context, c *operator.Client) (err error) {
				rec, err = c.Event(ctx, args[0])
				return err
			})
			if err != nil {
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
	cmd := &cobra.Command{Use: "integrations", Short: "List, show and re-enable integrations."}
	cf.add(cmd)
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show an integration's failure counter and the disable policy that applies to it.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var rec subjects.IntegrationReply
			err := cf.call(subjects.EndpointIntegrationGet, func(ctx context.Context, c *operator.Client) (err error) {
				rec, err = c.Integration(ctx, args[0])
				return err
			})
			if err != nil {
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
			err := cf.call(subjects.EndpointIntegrationEnable, func(ctx context.Context, c *operator.Client) (err error) {
				rec, err = c.EnableIntegration(ctx, ereq)
				return err
			})
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), rec)
		},
	}
	enable.Flags().StringVar(&ereq.EnabledBy, "by", "", "who enabled it (default $USER)")
	enable.Flags().StringVar(&ereq.Reason, "reason", "", "why, e.g. what was fixed")
	cmd.AddCommand(show, enable, integrationsListCmd(&cf))
	return cmd
}
