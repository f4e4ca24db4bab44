package web

import (
	"net/http"
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
		wantStatus(t, "withdraw", e.do("POST", url, zhang, "", nil), http.StatusOK)
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
