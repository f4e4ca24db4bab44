package i18n

// hotlineLedgerMessages name the hotline's ledger stamps on the ticket
// page; init adds them to the one table.
var hotlineLedgerMessages = map[string]msg{
	"hotline_stamps_explain":            {"工单的受理、派单、签收、退单、答复、回访、合并和因工作日历调整重算期限都写入公开的防篡改日志；回执可用公开的工具离线验证。", "Filing, dispatch, signing, returns, replies, callbacks, merges and deadlines recounted after a calendar edit are written to a public tamper-evident log; a receipt can be checked offline with public tools."},
	"hotline_stamp_filed":               {"受理", "Filed"},
	"hotline_stamp_dispatched":          {"派单", "Dispatched"},
	"hotline_stamp_signed":              {"签收", "Signed for"},
	"hotline_stamp_returned":            {"退单", "Returned"},
	"hotline_stamp_replied":             {"答复", "Replied"},
	"hotline_stamp_reopened":            {"回访不满意，重新办理", "Callback: reopened"},
	"hotline_stamp_closed":              {"回访满意，办结", "Callback: closed"},
	"hotline_stamp_merged":              {"合并", "Merged"},
	"hotline_stamp_revealed":            {"揭示举报人身份", "Reporter revealed"},
	"hotline_stamp_deadline_recomputed": {"工作日历调整，期限重新计算", "Deadline recounted on the revised calendar"},
}

func init() {
	for k, m := range hotlineLedgerMessages {
		if _, dup := messages[k]; dup {
			panic("i18n: duplicate message " + k)
		}
		messages[k] = m
	}
}
