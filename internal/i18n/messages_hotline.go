package i18n

// hotlineMessages are the messages of the 12345 hotline and its Open311
// API, kept apart from messages.go; init adds them to the one table.
var hotlineMessages = map[string]msg{
	"role_dispatcher": {"热线派单员", "Hotline dispatcher"},

	// Validation.
	"hotline_code_invalid":          {"编码只能由 1–32 位字母、数字、下划线或连字符组成，且不能重复。", "Codes are 1–32 letters, digits, underscores or hyphens, and unique."},
	"hotline_parent_invalid":        {"上级分类不存在，或会形成循环。", "The parent category does not exist or would make a cycle."},
	"hotline_too_many_attributes":   {"每个分类最多 %d 个附加问题。", "At most %d questions per category."},
	"hotline_datatype_invalid":      {"类型须为 string、number、text 或 singlevaluelist。", "The type must be string, number, text or singlevaluelist."},
	"hotline_category_required":     {"请选择诉求分类。", "Choose a category."},
	"hotline_category_unknown":      {"没有这个诉求分类。", "There is no such category."},
	"hotline_division_unknown":      {"没有这个行政区划。", "There is no such division."},
	"hotline_department_unknown":    {"没有这个部门。", "There is no such department."},
	"hotline_kind_invalid":          {"请选择诉求类型：投诉、举报、咨询、建议、求助或表扬。", "Choose a kind: complaint, report, inquiry, suggestion, help or praise."},
	"hotline_days_range":            {"时限须在 %d 到 %d 个工作日之间。", "The limit must be between %d and %d working days."},
	"hotline_protection_invalid":    {"请选择是否匿名或保密。", "Choose whether to stay anonymous or protected."},
	"hotline_text_required":         {"请写明诉求内容。", "Describe your request."},
	"hotline_coordinates_pair":      {"经度和纬度须同时填写。", "Give both latitude and longitude."},
	"hotline_lat_range":             {"纬度须在 -90 到 90 之间。", "Latitude must be between -90 and 90."},
	"hotline_lon_range":             {"经度须在 -180 到 180 之间。", "Longitude must be between -180 and 180."},
	"hotline_location_required":     {"请提供地址或经纬度。", "Give an address or coordinates."},
	"hotline_phone_invalid":         {"请填写有效的电话号码。", "Enter a valid telephone number."},
	"hotline_email_invalid":         {"请填写有效的电子邮箱。", "Enter a valid email address."},
	"hotline_caller_phone_required": {"请记录来电号码，以便回访（匿名来电除外）。", "Record the caller's number for the callback (unless the caller stays anonymous)."},
	"hotline_media_url_invalid":     {"图片链接须以 http:// 或 https:// 开头。", "The media URL must start with http:// or https://."},
	"hotline_attribute_number":      {"此项须为数字。", "This must be a number."},
	"hotline_attribute_value":       {"请从列表中选择。", "Choose a value from the list."},
	"hotline_too_many_files":        {"最多上传 %d 个附件。", "At most %d attachments."},
	"hotline_satisfaction_invalid":  {"请选择满意程度。", "Choose how satisfied you are."},
	"hotline_not_protected":         {"该工单未匿名或保密，无需揭示。", "This ticket is neither anonymous nor protected; there is nothing to reveal."},
	"hotline_merge_target":          {"只能合并到另一张未办结的工单。", "Merge only into another open ticket."},

	// Open311.
	"open311_format":          {"请在资源名后加 .json 或 .xml。", "Add .json or .xml to the resource name."},
	"open311_contact":         {"临江市 12345 政务服务便民热线", "Linjiang 12345 government service hotline"},
	"open311_key_service":     {"API 密钥由平台管理员签发。", "API keys are issued by the platform's administrators."},
	"open311_service_unknown": {"没有这个 service_code。", "There is no such service_code."},
	"open311_request_unknown": {"没有这个 service_request_id。", "There is no such service_request_id."},
	"open311_api_key":         {"api_key 缺失或无效。", "The api_key is missing or invalid."},
	"open311_merged":          {"已与同一事项的其他诉求合并办理。", "Merged with another request about the same matter."},

	// Notices: the body's arguments are the ticket number and category
	// (warnings: and the due date).
	"notice_ticket_filed_subject":      {"新的热线工单待派单", "New hotline ticket to dispatch"},
	"notice_ticket_filed_body":         {"工单 %s（%s）已登记，请派单。", "Ticket %s (%s) was filed and waits for dispatch."},
	"notice_ticket_dispatched_subject": {"热线工单已派至本部门", "Hotline ticket dispatched to your department"},
	"notice_ticket_dispatched_body":    {"工单 %s（%s）已派至本部门，请及时签收办理。", "Ticket %s (%s) was dispatched to your department. Please sign for it and handle it."},
	"notice_ticket_returned_subject":   {"热线工单被退回", "Hotline ticket returned"},
	"notice_ticket_returned_body":      {"工单 %s（%s）被部门退回，请重新派单。", "Ticket %s (%s) was returned by the department. Please dispatch it again."},
	"notice_ticket_replied_subject":    {"您的诉求已答复", "Your request was answered"},
	"notice_ticket_replied_body":       {"工单 %s（%s）已答复，请确认问题是否解决并评价满意度。", "Ticket %s (%s) has been answered. Please tell us whether it was solved and how satisfied you are."},
	"notice_ticket_reopened_subject":   {"热线工单重新办理", "Hotline ticket reopened"},
	"notice_ticket_reopened_body":      {"工单 %s（%s）回访未解决或不满意，已退回本部门重新办理。", "Ticket %s (%s) was not solved to the reporter's satisfaction and is back with your department."},
	"notice_ticket_urged_subject":      {"热线工单督办", "Hotline ticket urged"},
	"notice_ticket_urged_body":         {"工单 %s（%s）被督办，请尽快办理。", "Ticket %s (%s) was urged by a supervisor. Please act on it now."},
	"notice_ticket_merged_subject":     {"您的诉求已合并办理", "Your request was merged"},
	"notice_ticket_merged_body":        {"工单 %s（%s）与同一事项的工单合并办理。", "Ticket %s (%s) is being handled together with another ticket about the same matter."},
	"notice_ticket_yellow_subject":     {"热线工单即将超期（黄牌）", "Hotline ticket nearly due (yellow)"},
	"notice_ticket_yellow_body":        {"工单 %s（%s）将于 %s 到期。", "Ticket %s (%s) is due on %s."},
	"notice_ticket_red_subject":        {"热线工单已超期（红牌）", "Hotline ticket overdue (red)"},
	"notice_ticket_red_body":           {"工单 %s（%s）已于 %s 超期。", "Ticket %s (%s) was due on %s."},
}

func init() {
	for k, m := range hotlineMessages {
		if _, dup := messages[k]; dup {
			panic("i18n: hotline message " + k + " is also in messages.go")
		}
		messages[k] = m
	}
}
