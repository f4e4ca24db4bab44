package i18n

// fulfilMessages are the messages of materials fulfilled by data (免提交):
// licenses and shared data in place of uploads, prefilled forms and the
// avoided-uploads report.
var fulfilMessages = map[string]msg{
	"fulfil_summary":           {"%d 项材料无需上传，平台已从电子证照库或共享数据中调取；请只上传其余材料。", "%d materials need no upload: the platform took them from the license library or shared data. Upload only the rest."},
	"fulfil_summary_one":       {"%d 项材料无需上传，平台已从电子证照库或共享数据中调取；请只上传其余材料。", "%d material needs no upload: the platform took it from the license library or shared data. Upload only the rest."},
	"fulfil_by_license":        {"无需上传：已从电子证照库调取", "No need to upload: taken from the license library"},
	"fulfil_by_data":           {"无需上传：由受理部门通过数据共享核验", "No need to upload: the department verifies it through data sharing"},
	"fulfil_license_type":      {"证照类型", "License type"},
	"fulfil_license_number":    {"证照编号", "License number"},
	"fulfil_issuer":            {"发证部门", "Issued by"},
	"fulfil_validity":          {"有效期", "Valid"},
	"fulfil_no_expiry":         {"长期", "no expiry"},
	"fulfil_taken_at":          {"调取时间", "Taken at"},
	"fulfil_resource":          {"共享数据", "Shared data"},
	"fulfil_provider":          {"提供部门", "Provided by"},
	"fulfil_upload_instead":    {"证照信息有误？改为上传文件", "License wrong? Upload a file instead"},
	"fulfil_online_form":       {"无需上传：在线填写的申请表即为此材料", "No need to upload: the form you fill in online is this material"},
	"fulfil_online_form_staff": {"在线填写的申请表（见上方申请表内容）", "The form filled in online (see the form above)"},
	"fulfil_upload_signed":     {"已有签字的申请书？也可上传", "Have a signed paper form? You may upload it"},
	"fulfil_verify_license":    {"核验证照真伪", "Verify the license"},
	"fulfil_lookup":            {"一键核验（查询共享数据）", "Verify now (look up shared data)"},
	"prefill_verified":         {"已核验的身份信息，不可修改", "Verified identity: cannot be changed"},
	"prefill_from_license":     {"取自电子证照，如有变化可修改", "Taken from your license; correct it if it changed"},

	"material_license_lapsed":           {"用于免提交的电子证照已失效或共享授权已终止，请上传此项材料。", "The license this material was taken from is no longer valid, or the data grant has ended: please upload it."},
	"license_type_invalid":              {"证照类型编码需以小写字母开头，只含小写字母、数字和下划线。", "A license type starts with a lowercase letter and has lowercase letters, digits and underscores."},
	"data_resource_invalid":             {"共享资源编码需以大写字母开头，只含大写字母、数字和 -。", "A shared resource code starts with a capital letter and has capitals, digits and -."},
	"material_online_form_without_form": {"只有设置了申请表的事项，材料才能由在线申请表替代。", "Only a service with a form can let the online form be a material."},
	"form_prefill_invalid":              {"申请表的 x-prefill 须用于字符串字段，取值为 applicant.*、person.*、organization.* 或 license:<类型>.<字段>。", "x-prefill goes on string fields and names applicant.*, person.*, organization.* or license:<type>.<field>."},
	"material_data_resource":            {"可核验的共享数据资源", "Shared data resource that verifies it"},
	"material_online_form":              {"在线填写的申请表即为此材料", "The form filled in online is this material"},
	"issues_license_legend":             {"办结发放的电子证照", "Electronic license issued on approval"},
	"issues_license_type":               {"证照类型代码（留空则不发证照）", "License type code (empty: none)"},
	"issues_license_fields":             {"证照字段取自申请表字段，每行一项：证照字段 = 表单字段", "License fields from form fields, one per line: license field = form field"},
	"issues_license_replaces":           {"换发：取代申请人现有的同类证照（变更、换领、补领）", "Re-issue: replaces the holder's current license of the type (change, renewal, replacement)"},
	"license_fields_line_invalid":       {"第 %d 行应写作“证照字段 = 表单字段”。", "Line %d should read \"license field = form field\"."},

	"avoided_title":       {"免提交统计", "Uploads avoided"},
	"avoided_lead":        {"电子证照和共享数据使多少申请材料无需上传：按事项统计必需材料、可由证照或数据替代的材料，以及已提交办件实际免于上传的材料。", "How many material uploads licenses and shared data make unnecessary: per service, the required materials, those a license or shared data can replace, and the uploads filed applications actually did without."},
	"avoided_services":    {"可免提交的事项", "Services with materials fulfilled by data"},
	"avoided_service":     {"事项名称", "Service"},
	"avoided_required":    {"必需材料", "Required materials"},
	"avoided_by_license":  {"电子证照可替代", "A license replaces"},
	"avoided_by_data":     {"共享数据可核验", "Shared data verifies"},
	"avoided_by_form":     {"在线申请表即为材料", "The online form"},
	"avoided_conditional": {"其中非必需材料", "Conditional materials too"},
	"avoided_filed":       {"已提交办件", "Applications filed"},
	"avoided_avoided":     {"实际免于上传（必需材料）", "Uploads of required materials avoided"},
	"avoided_at":          {"统计时间 %s", "As of %s"},
}

func init() {
	for k, m := range fulfilMessages {
		if _, dup := messages[k]; dup {
			panic("i18n: duplicate message " + k)
		}
		messages[k] = m
	}
}
