package i18n

// rateLimitMessages are the messages of rate limits; init adds them to the
// one table. (The 429 page itself is error_429.)
var rateLimitMessages = map[string]msg{
	"login_rate_limited":         {"登录尝试过于频繁，请稍后再试。", "Too many sign-in attempts; try again shortly."},
	"hotline_key_rate":           {"限流", "Rate limit"},
	"hotline_key_rate_save":      {"保存", "Save"},
	"hotline_key_rate_saved":     {"已保存该应用的限流。", "The app's rate limit is saved."},
	"hotline_key_rate_hint":      {"每个应用默认限流 %s（次数/时长）；可为某个应用单独设定，留空则恢复默认。", "Each app may file %s (count/period) by default; give an app its own limit, or leave it empty for the default."},
	"hotline_rate_limit_invalid": {"请按“次数/时长”填写，例如 600/1m；时长在 1 秒到 24 小时之间。", "Write it as count/period, such as 600/1m, with a period between 1s and 24h."},
}

func init() {
	for k, m := range rateLimitMessages {
		if _, dup := messages[k]; dup {
			panic("i18n: duplicate message " + k)
		}
		messages[k] = m
	}
}
