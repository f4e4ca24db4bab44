package i18n

// ratingMessages are the messages of the service rating (好差评), its
// rectifications (整改) and the public figures, kept apart from
// messages.go; init adds them to the one table.
var ratingMessages = map[string]msg{
	// Levels and tags.
	"rating_level_very_satisfied":   {"非常满意", "Very satisfied"},
	"rating_level_satisfied":        {"满意", "Satisfied"},
	"rating_level_basic":            {"基本满意", "Fairly satisfied"},
	"rating_level_unsatisfied":      {"不满意", "Unsatisfied"},
	"rating_level_very_unsatisfied": {"非常不满意", "Very unsatisfied"},
	"rating_tag_efficient":          {"办事效率高", "Quick and efficient"},
	"rating_tag_courteous":          {"服务态度好", "Courteous staff"},
	"rating_tag_one_visit":          {"一次办成", "Done in one go"},
	"rating_tag_simple_process":     {"流程简便", "Simple process"},
	"rating_tag_few_materials":      {"材料精简", "Few documents asked"},
	"rating_tag_clear_guidance":     {"指引清晰", "Clear guidance"},
	"rating_tag_a_bit_slow":         {"办理稍慢", "A bit slow"},
	"rating_tag_guidance_unclear":   {"指引不清晰", "Guidance unclear"},
	"rating_tag_many_materials":     {"材料偏多", "Too many documents"},
	"rating_tag_system_trouble":     {"系统不好用", "The system was hard to use"},
	"rating_tag_repeated_visits":    {"多次跑腿", "Had to come back several times"},
	"rating_tag_inefficient":        {"办事效率低", "Slow and inefficient"},
	"rating_tag_rude":               {"服务态度差", "Rude staff"},
	"rating_tag_repeated_materials": {"重复提交材料", "Asked for the same documents again"},
	"rating_tag_overdue":            {"超时办理", "Past the time limit"},
	"rating_tag_buck_passing":       {"推诿扯皮", "Passed from desk to desk"},

	// Validation.
	"rating_object_type_invalid":       {"只能评价办件或热线工单。", "Only applications and hotline tickets can be rated."},
	"rating_level_invalid":             {"请从五个等级中选择：非常满意、满意、基本满意、不满意、非常不满意。", "Choose one of the five levels: very satisfied, satisfied, fairly satisfied, unsatisfied, very unsatisfied."},
	"rating_tag_invalid":               {"所选标签不属于该评价等级。", "A chosen tag does not belong to this level."},
	"rating_text_too_long":             {"最多 %d 个字。", "At most %d characters."},
	"rating_not_concluded":             {"办结（工单办结）后才能评价。", "You can rate once the application is concluded or the ticket closed."},
	"rating_already_rated":             {"您已评价过，每件事只能评价一次；可在修改期内修改评价。", "You have already rated this; each one is rated once. You may amend your rating while the amendment period lasts."},
	"rating_not_rated":                 {"尚未评价，无可修改。", "There is no rating to amend yet."},
	"rating_amend_closed":              {"评价修改期已过，不能再修改。", "The period for amending this rating is over."},
	"rectification_cause_required":     {"请写明问题原因。", "Say what was wrong."},
	"rectification_action_required":    {"请写明整改措施。", "Say what was done about it."},
	"rectification_text_too_long":      {"最多 %d 个字。", "At most %d characters."},
	"rectification_state_invalid":      {"没有这个状态。", "There is no such state."},
	"rectification_warning_invalid":    {"没有这个预警。", "There is no such warning."},
	"rectification_satisfied_required": {"请选择是否满意整改结果。", "Say whether you are satisfied with the rectification."},

	// The rating form.
	"rating_title":         {"服务评价（好差评）", "Rate this service"},
	"rating_lead":          {"请对本次服务评价。差评将转交责任部门整改，并在整改后回访您。", "Tell us how it went. A bad rating goes to the department in charge, which must put it right; afterwards we ask you whether it did."},
	"rating_level":         {"评价等级", "Your rating"},
	"rating_tags_good":     {"做得好的（可多选，满意时选）", "What went well (choose any, when satisfied)"},
	"rating_tags_improve":  {"需要改进的（可多选，基本满意及以下时选）", "What should improve (choose any, when fairly satisfied or less)"},
	"rating_tags":          {"评价标签（可多选）", "Tags (choose any)"},
	"rating_text":          {"评价内容（选填，最多 500 字）", "Comments (optional, up to 500 characters)"},
	"rating_submit":        {"提交评价", "Send the rating"},
	"rating_amend":         {"修改评价", "Amend the rating"},
	"rating_amend_until":   {"可在 %s 前修改。", "You may amend it until %s."},
	"rating_yours":         {"您的评价", "Your rating"},
	"rating_given":         {"评价", "Rating"},
	"rating_amended_n":     {"已修改 %d 次", "amended %d×"},
	"rating_done":          {"评价已提交，感谢您的反馈。", "Thank you: your rating was recorded."},
	"rating_amended":       {"评价已修改。", "Your rating was amended."},
	"rating_rectification": {"整改进度", "Rectification"},
	"nav_rectifications":   {"差评整改", "Rectifications"},
	"nav_figures":          {"好差评数据", "Ratings and figures"},

	// Rectifications.
	"rectification_title":              {"差评整改", "Rectification of a bad rating"},
	"rectifications_title":             {"差评整改", "Rectifications"},
	"rectification_none":               {"没有整改事项。", "No rectifications."},
	"rectification_state":              {"状态", "State"},
	"rectification_state_open":         {"待整改", "Waiting for the department"},
	"rectification_state_answered":     {"已整改，待回访", "Answered, waiting for the callback"},
	"rectification_state_closed":       {"已回访", "Called back"},
	"rectification_all":                {"全部", "All"},
	"rectification_warning":            {"预警", "Warning"},
	"rectification_due":                {"整改期限", "Due"},
	"rectification_opened":             {"发起日期", "Opened"},
	"rectification_department":         {"责任部门", "Department"},
	"rectification_object":             {"评价对象", "Rated"},
	"rectification_object_application": {"办件", "Application"},
	"rectification_object_ticket":      {"热线工单", "Hotline ticket"},
	"rectification_cause":              {"问题原因", "What was wrong"},
	"rectification_action":             {"整改措施", "What was done"},
	"rectification_answer":             {"提交整改答复", "Send the answer"},
	"rectification_answer_title":       {"整改答复", "The department's answer"},
	"rectification_answered_at":        {"答复时间", "Answered"},
	"rectification_on_time":            {"按期", "On time"},
	"rectification_late":               {"超期", "Late"},
	"rectification_answered_done":      {"整改答复已提交，将回访评价人。", "The answer was sent; the citizen will be called back."},
	"rectification_callback":           {"回访：您对整改结果满意吗？", "Callback: are you satisfied with what was done?"},
	"rectification_callback_phone":     {"记录电话回访结果", "Record a telephone callback"},
	"rectification_satisfied":          {"满意整改结果", "Satisfied"},
	"rectification_unsatisfied":        {"不满意", "Not satisfied"},
	"rectification_comment":            {"回访意见（选填）", "Comment (optional)"},
	"rectification_callback_submit":    {"提交回访", "Send"},
	"rectification_callback_done":      {"回访已记录。", "The callback was recorded."},
	"rectification_callback_result":    {"回访结果", "Callback"},
	"rectification_filter":             {"筛选", "Filter"},

	// Public figures.
	"figures_title":                 {"好差评与办理情况公开", "Ratings and service figures"},
	"figures_lead":                  {"各部门、各事项的好差评、差评整改和 12345 热线办理情况，实时统计。满意率 =（非常满意 + 满意 + 基本满意）÷ 评价总数。", "Ratings, rectifications of bad ratings and 12345 hotline handling for every department and service, counted live. Satisfaction rate = (very satisfied + satisfied + fairly satisfied) ÷ all ratings."},
	"figures_summary":               {"全市汇总", "City-wide"},
	"figures_departments":           {"各部门", "By department"},
	"figures_services":              {"各事项", "By service"},
	"figures_ratings":               {"评价数", "Ratings"},
	"figures_rate":                  {"满意率", "Satisfaction rate"},
	"figures_rectifications":        {"差评整改", "Rectifications"},
	"figures_rect_done":             {"已整改 %d / %d，按期 %d", "%d of %d done, %d on time"},
	"figures_rect_overdue":          {"超期未整改 %d", "%d overdue"},
	"figures_callbacks":             {"回访满意 %d / %d", "%d of %d satisfied at callback"},
	"figures_tickets":               {"热线工单", "Hotline tickets"},
	"figures_tickets_handled":       {"已办理 %d，按期 %d", "%d handled, %d on time"},
	"figures_on_time_rate":          {"按期率", "On-time rate"},
	"figures_none":                  {"—", "—"},
	"figures_consultations":         {"征求意见", "Consultations on draft policies"},
	"figures_consultations_count":   {"征求意见数", "Consultations"},
	"figures_consultations_closed":  {"%d 项，已截止 %d 项", "%d, %d closed"},
	"figures_consultation_comments": {"收到意见", "Comments"},
	"figures_adoption":              {"采纳率", "Adoption rate"},
	"figures_adoption_detail":       {"采纳 %d · 部分采纳 %d · 未采纳 %d", "%d adopted · %d in part · %d not"},
	"figures_computed":              {"统计时间 %s", "Counted at %s"},

	// Notices: the body's arguments are the number of the application or
	// ticket and the service or category (and for openings and warnings
	// the due date).
	"notice_rectification_opened_subject":   {"收到差评，请整改", "A bad rating to rectify"},
	"notice_rectification_opened_body":      {"%s（%s）收到差评，请于 %s 前完成整改并答复。", "%s (%s) was rated badly. Put it right and answer by %s."},
	"notice_rectification_answered_subject": {"您的差评已整改", "Your bad rating was answered"},
	"notice_rectification_answered_body":    {"%s（%s）的责任部门已答复整改情况，请告诉我们您是否满意。", "The department answered your rating of %s (%s). Please tell us whether you are satisfied."},
	"notice_rectification_yellow_subject":   {"差评整改即将到期（黄牌）", "Rectification nearly due (yellow)"},
	"notice_rectification_yellow_body":      {"%s（%s）的差评整改将于 %s 到期。", "The rectification of %s (%s) is due on %s."},
	"notice_rectification_red_subject":      {"差评整改已超期（红牌）", "Rectification overdue (red)"},
	"notice_rectification_red_body":         {"%s（%s）的差评整改已于 %s 超期。", "The rectification of %s (%s) was due on %s."},
}

func init() {
	for k, m := range ratingMessages {
		if _, dup := messages[k]; dup {
			panic("i18n: rating message " + k + " is also in messages.go")
		}
		messages[k] = m
	}
}
