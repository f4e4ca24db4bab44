package demo_test

import (
	"testing"
	"time"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/exchange"
)

// TestDemoRegistries checks the demo's shared data: the registries agree
// with the demo accounts, the grants are in place once however often the
// demo loads, and a market regulation clerk taking in wangwu's fruit shop
// application can look up his household data under SCJG's grant.
func TestDemoRegistries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, time.Now().In(shanghai))
		f.load(t)
		f.load(t)
		ctx := t.Context()
		x := exchange.NewStore(exchange.Deps{DB: d, Identity: f.ids})
		res, err := x.Resources(ctx)
		if err != nil || len(res) != 5 {
			t.Fatalf("Resources = %d, %v; want 5", len(res), err)
		}
		reqs, err := x.Requests(ctx, f.principal(t, "admin"))
		if err != nil || len(reqs) != 7 {
			t.Fatalf("requests = %d, %v; want 7 after loading twice", len(reqs), err)
		}
		pending := 0
		for _, r := range reqs {
			if r.State == exchange.Pending {
				pending++
			}
		}
		if pending != 1 {
			t.Errorf("%d pending requests, want 1", pending)
		}
		var fruitShop *application.Application
		for _, a := range f.applications(t) {
			if a.ServiceCode == "SCJG-002" && a.State == application.Submitted {
				fruitShop = a
			}
		}
		if fruitShop == nil {
			t.Fatal("no submitted SCJG-002 demo application")
		}
		for _, u := range []string{"zhangsan", "lisi", "wangwu"} {
			p := f.principal(t, u)
			rec, err := exchange.Registry{DB: d}.Fetch(ctx, &exchange.Resource{Code: "GA-HOUSEHOLD"}, p.Account.IDNumber, []string{"name"})
			if err != nil || !rec.Found || rec.Values["name"] != p.Account.Name {
				t.Errorf("household record of %s = %+v, %v; want the account's name", u, rec, err)
			}
		}
		wangwu := f.principal(t, "wangwu")
		ans, err := x.Query(ctx, f.principal(t, "scjg-clerk"), exchange.QueryInput{Resource: "GA-HOUSEHOLD", Subject: wangwu.Account.IDNumber,
			Application: fruitShop.ID})
		if err != nil || ans.Fields["household_address"] != "临江市临江区望江路 66 号 2 幢 1201 室" || ans.Provenance.Case != fruitShop.Number {
			t.Fatalf("clerk's lookup = %+v, %v", ans, err)
		}
		mine, err := x.MyData(ctx, wangwu)
		if err != nil || len(mine) != 1 || mine[0].Department != "SCJG" {
			t.Errorf("wangwu's data uses = %+v, %v", mine, err)
		}
	})
}
