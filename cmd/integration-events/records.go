package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/integration-events/integration-events/operator"
	"github.com/integration-events/integration-events/subjects"
	"github.com/spf13/cobra"
)

// integrationsListCmd is `integrations list`: a page of integrations,
// disabled first, then failing.
func integrationsListCmd(cf *clientFlags) *cobra.Command {
	var req subjects.ListIntegrationsRequest
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List integrations with their state: disabled first, then failing, then the rest.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkPageSize(req.PageSize); err != nil {
				return err
			}
			var resp subjects.ListIntegrationsResponse
			err := cf.call(subjects.EndpointIntegrationsList, func(ctx context.Context, c *operator.Client) (err error) {
				resp, err = c.ListIntegrations(ctx, req)
				return err
			})
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), resp)
			}
			printIntegrations(cmd.OutOrStdout(), resp.Data)
			if resp.NextToken != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "\nmore: --next-token %s\n", resp.NextToken)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&req.PageSize, "page-size", subjects.DefaultPageSize, "integrations per page (1-100)")
	f.StringVar(&req.NextToken, "next-token", "", "continue a listing")
	f.BoolVar(&asJSON, "json", false, "print the API's JSON")
	return cmd
}

func printIntegrations(w io.Writer, cs []subjects.FailureCounter) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "INTEGRATION\tSTATE\tFAILURES\tLAST ERROR")
	for _, c := range cs {
		state := "enabled"
		if c.Disabled {
			state = "disabled"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d / %d\t%s\n", c.IntegrationID, state, c.ConsecutiveFailures, c.DisableAfter, clip(c.LastError, 100))
	}
	_ = tw.Flush()
}

// runsCmd is `runs get INTEGRATION RUN`: a run read back, redacted.
func runsCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{Use: "runs", Short: "Read integration runs back, redacted."}
	cf.add(cmd)
	get := &cobra.Command{
		Use:   "get INTEGRATION RUN",
		Short: "Show a run's outcome, its failure and log, as the processor admitted it (redacted).",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var rec subjects.RunRecord
			err := cf.call(subjects.EndpointRunsGet, func(ctx context.Context, c *operator.Client) (err error) {
				rec, err = c.Run(ctx, args[0], args[1])
				return err
			})
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), rec)
		},
	}
	cmd.AddCommand(get)
	return cmd
}

// mappingsCmd is `mappings list` and `mappings create`.
func mappingsCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{Use: "mappings", Short: "List and create external mappings (KV external_mappings)."}
	cf.add(cmd)

	var lreq subjects.ListExternalMappingsRequest
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List external mappings in key order (external system, m3ter entity, m3ter id).",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkPageSize(lreq.PageSize); err != nil {
				return err
			}
			var resp subjects.ListExternalMappingsResponse
			err := cf.call(subjects.EndpointMappingsList, func(ctx context.Context, c *operator.Client) (err error) {
				resp, err = c.ListExternalMappings(ctx, lreq)
				return err
			})
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), resp)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "KEY\tEXTERNAL\tINTEGRATION\tCREATED")
			for _, m := range resp.Data {
				key, _ := m.Key()
				fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s by %s\n", key, m.ExternalTable, m.ExternalID, m.IntegrationConfigID, m.DtCreated.UTC().Format(time.DateTime), m.CreatedBy)
			}
			_ = tw.Flush()
			if resp.NextToken != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "\nmore: --next-token %s\n", resp.NextToken)
			}
			return nil
		},
	}
	lf := list.Flags()
	lf.IntVar(&lreq.PageSize, "page-size", subjects.DefaultPageSize, "mappings per page (1-100)")
	lf.StringVar(&lreq.NextToken, "next-token", "", "continue a listing")
	lf.BoolVar(&asJSON, "json", false, "print the API's JSON")

	var creq subjects.CreateExternalMappingRequest
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an external mapping; a runner reads it with nats kv get external_mappings <externalSystem>.<m3terEntity>.<m3terId>.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if creq.CreatedBy == "" {
				creq.CreatedBy = os.Getenv("USER")
			}
			var m subjects.ExternalMapping
			err := cf.call(subjects.EndpointMappingsCreate, func(ctx context.Context, c *operator.Client) (err error) {
				m, err = c.CreateExternalMapping(ctx, creq)
				return err
			})
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), m)
		},
	}
	cf2 := create.Flags()
	for _, fl := range []struct {
		name string
		dst  *string
		help string
	}{
		{"m3ter-entity", &creq.M3terEntity, "m3ter entity type, e.g. Account"},
		{"m3ter-id", &creq.M3terID, "the m3ter entity's id"},
		{"external-system", &creq.ExternalSystem, "e.g. Salesforce"},
		{"external-table", &creq.ExternalTable, "the external system's table, e.g. Account"},
		{"external-id", &creq.ExternalID, "the record's id in the external system"},
		{"integration-config-id", &creq.IntegrationConfigID, "the integration it is for"},
	} {
		cf2.StringVar(fl.dst, fl.name, "", fl.help+" (required)")
		_ = create.MarkFlagRequired(fl.name)
	}
	cf2.StringVar(&creq.CreatedBy, "by", "", "who creates it (default $USER)")
	cmd.AddCommand(list, create)
	return cmd
}
