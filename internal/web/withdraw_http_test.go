package web

import (
	"net/http"
	neturl "net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/i18n"
)

// TestWithdrawTwiceHTTP: withdrawing an application already withdrawn is
// a 422 on field state that says so, in the caller's language; it used
// to say that an accepted application cannot be withdrawn.
func TestWithdrawTwiceHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		requireApplyService(t, e)
		zhang := e.session("zhangsan")
		a := fileApplication(t, e, zhang)
		url := "/api/v1/applications/" + a.ID + "/withdraw"
		if !strings.Contains(e.get("/applications/"+a.ID, zhang).Body.String(), `action="/applications/`+a.ID+`/withdraw"`) {
			t.Fatal("the page of a submitted application offers no withdrawal")
		}
		wantStatus(t, "withdraw", e.do("POST", url, zhang, "", nil), http.StatusOK)
		// The page, whose withdrawal form is gone, says why another one
		// (from a second tab) was refused.
		rec := e.postForm("/applications/"+a.ID+"/withdraw", zhang, neturl.Values{"reason": {"重复提交"}})
		wantStatus(t, "withdraw again on the page", rec, http.StatusUnprocessableEntity)
		if page := rec.Body.String(); !strings.Contains(page, `id="state-error">该申请已撤回。`) || strings.Contains(page, `action="/applications/`+a.ID+`/withdraw"`) {
			t.Errorf("the page after a second withdrawal does not say it was withdrawn already: %s", page)
		}
		for _, lang := range []i18n.Lang{i18n.ZH, i18n.EN} {
			rec := e.do("POST", url, zhang, "", nil, "Accept-Language", string(lang))
			wantStatus(t, "withdraw again ("+string(lang)+")", rec, http.StatusUnprocessableEntity)
			matchesOpenAPI(t, rec, "Error")
			codes, msgs := fieldCodes(t, rec)
			if codes["state"] != "withdraw_already_withdrawn" || msgs["state"] != i18n.T(lang, "withdraw_already_withdrawn") {
				t.Errorf("withdraw again (%s): state %q %q, want withdraw_already_withdrawn", lang, codes["state"], msgs["state"])
			}
		}
		if zh, en := i18n.T(i18n.ZH, "withdraw_already_withdrawn"), i18n.T(i18n.EN, "withdraw_already_withdrawn"); zh != "该申请已撤回。" || en != "This application has already been withdrawn." {
			t.Errorf("withdraw_already_withdrawn reads %q / %q", zh, en)
		}
	})
}
