package i18n

// hotlineAdminMessages are the messages of the dispatcher's telephone
// intake, the hotline's administration pages, and lookups of shared data
// for a hotline ticket; init adds them to the one table.
var hotlineAdminMessages = map[string]msg{
	// Lookups for a hotline ticket.
	"exchange_one_case":                   {"查询只能针对一个办件或一张工单。", "A lookup serves one application or one ticket, not both."},
	"exchange_refused_reporter_protected": {"查询被拒绝：该工单的诉求人匿名或身份保密，办理部门不能查询其数据。", "Refused: the ticket's reporter is anonymous or name-protected; the handling department may not look them up."},
	"exchange_reason_reporter_protected":  {"诉求人身份受保护", "reporter protected"},
	"mydata_entry_ticket":                 {"%s的%s在办理 12345 热线工单 %s 时，为“%s”查询了%s的%s（%s），数据来自%s。", "%s (%s), handling 12345 hotline ticket %s for “%s”, looked up %s's %s (%s), provided by %s."},
	"lookup_lead_ticket":                  {"只能在本部门签收办理本工单期间、按本部门的授权查询诉求人的数据；匿名或保密的诉求人不能查询。每次查询都会记录并告知诉求人。", "You may look up the reporter's data only while your department handles this ticket, under your department's grants; anonymous and protected reporters cannot be looked up. Every lookup is logged and shown to the reporter."},
	"lookup_subject_reporter":             {"诉求人（%s）", "Reporter (%s)"},
	"lookup_reporter_protected":           {"诉求人匿名或身份保密，不能查询其数据。", "The reporter is anonymous or name-protected and cannot be looked up."},
	"lookup_reporter_no_account":          {"诉求人没有实名账户（电话或 Open311 来件），没有可查询的对象。", "The reporter has no verified account (a telephone or Open311 ticket); there is nobody to look up."},
	"lookup_case_application":             {"办件", "application"},
	"lookup_case_ticket":                  {"工单", "ticket"},
	// Telephone intake.
	"nav_hotline_call":             {"电话登记", "Take a call"},
	"hotline_call_title":           {"登记来电", "Take a telephone call"},
	"hotline_call_lead":            {"先选择诉求分类，再记录来电内容、地点和来电人；提交后即显示建议派往的部门，可立即派单。", "Choose the category, then record the call, the place and the caller; once filed, the suggested department is shown so you can dispatch at once."},
	"hotline_caller":               {"来电人", "Caller"},
	"hotline_caller_name":          {"来电人姓名（可选）", "Caller's name (optional)"},
	"hotline_caller_phone":         {"来电号码", "Caller's number"},
	"hotline_call_protection_hint": {"来电人要求匿名时不保存任何联系方式；要求保密时仅监察人员经登记理由后可查看。", "An anonymous caller's contact details are not kept; a protected caller can be seen only by a supervisor who records a reason."},
	"hotline_call_submit":          {"登记工单", "File the ticket"},
	"hotline_call_filed":           {"已登记工单 %s，建议派往%s，请确认派单。", "Ticket %s was filed; the rules suggest %s. Confirm the dispatch below."},
	"hotline_call_filed_no_rule":   {"已登记工单 %s，没有匹配的派单规则，请选择承办部门。", "Ticket %s was filed; no rule applies, so choose the department below."},

	// Settings.
	"hotline_admin_title":              {"热线设置", "Hotline settings"},
	"hotline_admin_lead":               {"诉求分类及其附加问题（Open311 属性）、派单规则、各类诉求的办理时限和 Open311 应用密钥。", "Categories and their questions (Open311 attributes), dispatch rules, time limits per kind, and Open311 app keys."},
	"hotline_categories":               {"诉求分类", "Categories"},
	"hotline_category_new":             {"新增分类", "New category"},
	"hotline_category_edit":            {"编辑分类：%s", "Edit category: %s"},
	"hotline_category_add_child":       {"添加子分类", "Add a sub-category"},
	"hotline_category_code":            {"编码（service_code）", "Code (service_code)"},
	"hotline_category_code_hint":       {"1–32 位字母、数字、下划线或连字符；保存后不能修改，Open311 应用以它识别分类。", "1–32 letters, digits, underscores or hyphens; it cannot change later, as Open311 apps know the category by it."},
	"hotline_code_taken":               {"该编码已被其他分类使用。", "Another category already uses this code."},
	"hotline_category_name":            {"名称", "Name"},
	"hotline_category_name_en":         {"英文名称（可选）", "English name (optional)"},
	"hotline_category_description":     {"说明（可选）", "Description (optional)"},
	"hotline_category_parent":          {"上级分类", "Parent category"},
	"hotline_category_root":            {"（顶级分类）", "(top level)"},
	"hotline_category_position":        {"排序", "Position"},
	"hotline_position_invalid":         {"排序须为 0 到 9999 的整数。", "The position is a whole number from 0 to 9999."},
	"hotline_category_active":          {"状态", "Status"},
	"hotline_category_active_label":    {"启用（市民和 Open311 应用可以选择）", "Enabled (citizens and Open311 apps can choose it)"},
	"hotline_category_on":              {"启用", "Enabled"},
	"hotline_category_off":             {"停用", "Disabled"},
	"hotline_category_saved":           {"分类“%s”已保存。", "Category “%s” was saved."},
	"hotline_questions":                {"附加问题", "Questions"},
	"hotline_questions_hint":           {"提交诉求时要回答的问题，也是 Open311 服务定义中的属性。清空一行即删除该问题。", "Questions asked when filing, served as the Open311 service definition's attributes. Clear a row to remove its question."},
	"hotline_question_n":               {"问题 %d", "Question %d"},
	"hotline_question_code":            {"编码", "Code"},
	"hotline_question_text":            {"问题", "Question"},
	"hotline_question_type":            {"类型", "Type"},
	"hotline_question_required":        {"必答", "Required"},
	"hotline_question_values":          {"选项（单选时填写，每行一个：编码=名称）", "Choices (for a single choice, one a line: key=name)"},
	"hotline_datatype_string":          {"短文本", "Short text"},
	"hotline_datatype_number":          {"数字", "Number"},
	"hotline_datatype_text":            {"长文本", "Long text"},
	"hotline_datatype_singlevaluelist": {"单选", "Single choice"},
	"hotline_rules":                    {"派单规则", "Dispatch rules"},
	"hotline_rules_lead":               {"按分类和区域建议承办部门；上级分类的规则适用于其子分类，区域规则优先于全市规则。同一分类和区域只保留一条规则。", "Rules suggest the department by category and area; a parent category's rule covers its children, and an area's rule beats the city-wide one. One rule per category and area."},
	"hotline_rule_everywhere":          {"全市", "City-wide"},
	"hotline_no_rules":                 {"还没有派单规则。", "No dispatch rules yet."},
	"hotline_rule_new":                 {"新增或替换规则", "Add or replace a rule"},
	"hotline_rule_save":                {"保存规则", "Save the rule"},
	"hotline_rule_saved":               {"派单规则已保存。", "The dispatch rule was saved."},
	"hotline_rule_deleted":             {"派单规则已删除。", "The dispatch rule was deleted."},
	"hotline_deadlines":                {"办理时限", "Time limits"},
	"hotline_deadlines_lead":           {"各类诉求自派单之日起的办理时限，按工作日计算；已派出的工单保持原时限。", "Working days each kind of ticket has from dispatch; tickets already dispatched keep their deadline."},
	"hotline_workdays":                 {"个工作日", "working days"},
	"hotline_deadline_saved":           {"%s的办理时限已设为 %d 个工作日。", "The limit for %s is now %d working days."},
	"hotline_keys":                     {"Open311 应用密钥", "Open311 API keys"},
	"hotline_keys_lead":                {"发给通过 Open311 提交诉求的应用。密钥只在签发时显示一次，平台只保存其摘要。", "Issued to apps that file through Open311. A key is shown once, when issued; the platform keeps only its digest."},
	"hotline_key_name":                 {"应用名称", "App name"},
	"hotline_key_created":              {"签发时间", "Issued"},
	"hotline_key_issue":                {"签发密钥", "Issue a key"},
	"hotline_key_revoke":               {"吊销", "Revoke"},
	"hotline_no_keys":                  {"没有有效的密钥。", "No valid keys."},
	"hotline_key_issued":               {"已为“%s”签发密钥。", "A key was issued to “%s”."},
	"hotline_key_once":                 {"“%s”的密钥如下，只显示这一次，请立即交给应用的开发者：", "The key of “%s”, shown this once only; hand it to the app's developers now:"},
	"hotline_key_revoked":              {"密钥已吊销，使用它的请求将被拒绝。", "The key was revoked; requests with it are refused."},
}

func init() {
	for k, m := range hotlineAdminMessages {
		if _, dup := messages[k]; dup {
			panic("i18n: duplicate message " + k)
		}
		messages[k] = m
	}
}
