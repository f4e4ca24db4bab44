package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/exchange"
	"github.com/tongban/tongban/internal/identity"
)

// reportAvoidedUploads prints how many material uploads licenses and shared
// data avoid (免提交): per published service, and over the filed
// applications; JSON when asJSON is set.
func reportAvoidedUploads(ctx context.Context, cfg *config.Config, asJSON bool, stdout io.Writer) error {
	a, err := open(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer a.db.Close()
	// Reading grants needs no provider system.
	a.fulfilFrom(exchange.NewStore(exchange.Deps{DB: a.db, Identity: a.identity, Location: cfg.Location}))
	// The operator holds the database credentials already; the report
	// asks for a supervisor, and this one exists only in memory.
	p := &identity.Principal{Account: &identity.Account{Kind: identity.KindStaff, Username: "system", Name: "系统"},
		Grants: []identity.RoleGrant{{Role: identity.Supervisor}}}
	r, err := a.applications.AvoidedUploads(ctx, p)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "service\trequired\tby_license\tby_data\tby_form\tfiled\tavoided\tavoided_conditional\tname")
	for _, s := range r.Services {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", s.Code, s.Required, s.ByLicense, s.ByData, s.ByForm, s.Filed, s.Avoided, s.AvoidedConditional, s.Name)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	t := r.Totals
	_, err = fmt.Fprintf(stdout, "\n%d services, %d with required materials a license or shared data provides; %d required materials: %d replaced by a license, %d verified from shared data, %d the online form (%d by licenses or data); %d applications filed, %d uploads of required materials avoided (and %d of conditional ones)\n",
		t.Services, t.ServicesFulfillable, t.Required, t.ByLicense, t.ByData, t.ByForm, t.Fulfillable, t.Filed, t.Avoided, t.AvoidedConditional)
	return err
}
