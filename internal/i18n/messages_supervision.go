package i18n

// hotlineSupervisionMessages are the messages of the supervisors' ticket
// list; init adds them to the one table.
var hotlineSupervisionMessages = map[string]msg{
	"hotline_state_invalid":     {"请选择有效的工单状态。", "Choose a valid ticket state."},
	"hotline_warning_invalid":   {"预警须为黄牌、红牌或任一。", "The warning must be yellow, red or any."},
	"hotline_range_invalid":     {"结束日期不能早于开始日期。", "The end date cannot be before the start date."},
	"hotline_cursor_invalid":    {"翻页位置无效，请从第一页重新查询。", "The page position is not valid; start again from the first page."},
	"hotline_limit_range":       {"每页条数须在 %d 到 %d 之间。", "The page size must be between %d and %d."},
	"hotline_supervision_title": {"电子监察 · 12345 工单", "Supervision · 12345 tickets"},
	"hotline_filter_number":     {"工单编号", "Ticket number"},
	"hotline_filter_from":       {"受理日期自", "Filed from"},
	"hotline_filter_to":         {"至", "to"},
	"hotline_filter_warning":    {"预警", "Warning"},
	"hotline_filter_any":        {"全部", "All"},
	"hotline_warning_any":       {"黄牌或红牌", "Yellow or red"},
	"hotline_more_filters":      {"更多条件", "More filters"},
	"hotline_filter_submit":     {"筛选", "Filter"},
	"hotline_next_page":         {"下一页", "Next page"},
	"hotline_first_page":        {"回到第一页", "First page"},
}

func init() {
	for k, m := range hotlineSupervisionMessages {
		if _, dup := messages[k]; dup {
			panic("i18n: duplicate message " + k)
		}
		messages[k] = m
	}
}
