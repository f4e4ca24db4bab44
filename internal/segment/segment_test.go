package segment

import (
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-ego/gse"
)

// shared is loaded once for the tests that do not modify the dictionary.
var shared = sync.OnceValues(func() (*Segmenter, error) { return New() })

func newShared(t testing.TB) *Segmenter {
	t.Helper()
	s, err := shared()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTerms(t *testing.T) {
	s := newShared(t)
	tests := []struct {
		text string
		want []string // must all be present
		not  []string // must all be absent
	}{
		{"开饭店", []string{"饭店"}, nil},
		{"我想开个饭店", []string{"饭店"}, []string{"我", "想", "个", "我想"}},
		{"开药店需要什么证", []string{"药店"}, []string{"什么", "需要"}},
		{"生孩子要办什么", []string{"生孩子", "孩子"}, []string{"要", "办", "什么"}},
		{"怎么办理居住证", []string{"居住证"}, []string{"怎么", "办理", "怎么办", "理"}},
		{"食品经营许可证", []string{"食品", "经营", "许可", "许可证", "食品经营许可", "食品经营许可证"}, nil},
		{"个体工商户设立登记", []string{"个体", "工商户", "个体工商户", "设立", "登记", "设立登记"}, nil},
		{"社保卡丢了补办", []string{"社保卡", "社保", "补办"}, []string{"了"}},
		{"建筑工程施工许可", []string{"建筑", "建筑工程", "施工", "许可", "施工许可"}, nil},
		{"办理社会保障卡", []string{"社会保障卡", "社会保障"}, []string{"办理"}},
		{"新生儿落户需要哪些材料", []string{"新生儿", "落户", "材料"}, []string{"哪些"}},
		{"出生医学证明补办流程", []string{"出生医学证明", "出生", "医学", "证明", "补办"}, nil},
		{"居民身份证换领", []string{"居民身份证", "身份证", "换领"}, nil},
		{"退休了养老金怎么领", []string{"退休", "养老金"}, []string{"了", "怎么"}},
		{"公积金提取", []string{"公积金", "提取"}, nil},
		{"我要离婚", []string{"离婚"}, []string{"我", "要", "我要"}},
		{"个税汇算清缴怎么退税", []string{"个税", "汇算清缴", "退税"}, nil},
		{"开一家餐馆要什么手续", []string{"餐馆", "手续"}, nil},
	}
	for _, tt := range tests {
		got := s.Terms(tt.text)
		for _, w := range tt.want {
			if !slices.Contains(got, w) {
				t.Errorf("Terms(%q) = %q, missing %q", tt.text, got, w)
			}
		}
		for _, w := range tt.not {
			if slices.Contains(got, w) {
				t.Errorf("Terms(%q) = %q, must not contain %q", tt.text, got, w)
			}
		}
	}
}

func TestTermsExact(t *testing.T) {
	s := newShared(t)
	tests := []struct {
		text string
		want []string
	}{
		{"ID card 身份证 2025", []string{"id", "card", "身份", "身份证", "2025"}},
		{"ＩＤ　Card，身份证！2025年", []string{"id", "card", "身份", "身份证", "2025", "年"}},
		{"食品经营许可证", []string{"食品", "食品经营", "食品经营许可", "食品经营许可证", "经营", "许可", "许可证"}},
		{"公积金；公积金 公积金", []string{"公积", "公积金"}}, // deduplicated
		{"开饭店", []string{"开饭", "饭店"}},
		{"Covid-19 检测", []string{"covid", "19", "检测"}},
		{"", nil},
		{"。，！  ...", nil},
		{"的了和", nil},
	}
	for _, tt := range tests {
		if got := s.Terms(tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("Terms(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestStopwordsNeverReturned(t *testing.T) {
	s := newShared(t)
	for _, q := range []string{
		"我想知道怎么办理居住证", "在哪里申请低保", "请问一下护照要怎么办", "如何申请公积金贷款",
		"我要开个饭店，需要办什么？", "how do I apply for a passport",
	} {
		for _, term := range s.Terms(q) {
			if _, stop := s.stop[term]; stop {
				t.Errorf("Terms(%q) contains stopword %q", q, term)
			}
		}
	}
}

// TestDomainWordsKnown checks that words the catalog relies on are
// dictionary words (a whole word is a term of text containing it).
func TestDomainWordsKnown(t *testing.T) {
	s := newShared(t)
	words := strings.Fields(`饭店 餐馆 开店 开办 餐饮 食品 经营 许可 个体 工商户
		个体工商户 营业执照 结婚 离婚 登记 出生 医学 证明 户口 落户 新生儿 生孩子
		居住证 社保 社保卡 社会保障卡 退休 养老 医保 公积金 施工 许可证 建筑 纳税
		发票 身份证 护照 驾驶证 补办 换领 迁移 申领 食品经营许可 食品经营许可证
		施工许可证 出生医学证明`)
	for _, w := range words {
		if !s.isWord(w) {
			t.Errorf("%q is not in the dictionary", w)
		}
	}
}

func TestQueryTermsSameAsTerms(t *testing.T) {
	s := newShared(t)
	for _, q := range []string{"开饭店", "ID card 身份证 2025", "社保卡丢了补办"} {
		if a, b := s.Terms(q), s.QueryTerms(q); !slices.Equal(a, b) {
			t.Errorf("QueryTerms(%q) = %q, Terms = %q", q, b, a)
		}
	}
}

func TestBigrams(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"开饭店", []string{"开饭", "饭店"}},
		{"开饭店 a 食，开饭", []string{"开饭", "饭店", "食"}},
		{"居住证ID卡", []string{"居住", "住证", "卡"}},
		{"abc 123", nil},
		{"", nil},
	}
	for _, tt := range tests {
		if got := Bigrams(tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("Bigrams(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestNewAndAddWords(t *testing.T) {
	const name = "积分入学资格审核"
	s, err := New("《新市民子女积分入学》（预审）")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"新市民子女积分入学", "预审"} {
		if !s.isWord(w) {
			t.Errorf("New: %q not added", w)
		}
	}
	if slices.Contains(s.Terms(name), name) {
		t.Fatalf("%q already known", name)
	}
	s.AddWords(name, "ASCII only", "单")
	got := s.Terms("申请" + name)
	if !slices.Contains(got, name) || !slices.Contains(got, "积分") {
		t.Errorf("after AddWords: Terms = %q, want %q and its sub-words", got, name)
	}
	if s.isWord("单") {
		t.Error("single characters must not be added")
	}
}

// TestConcurrent runs Terms, AddWords and New concurrently (run with -race).
func TestConcurrent(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				if terms := s.Terms("个体工商户设立登记 食品经营许可证"); !slices.Contains(terms, "个体工商户") {
					t.Errorf("goroutine %d: Terms = %q", g, terms)
					return
				}
				_ = s.QueryTerms(fmt.Sprintf("服务事项%d号", i))
			}
		})
	}
	wg.Go(func() {
		for i := range 200 {
			s.AddWords(fmt.Sprintf("测试事项%c", rune('甲'+i)))
		}
	})
	for range 2 {
		wg.Go(func() {
			s2, err := New("并发加载测试")
			if err != nil {
				t.Error(err)
				return
			}
			if terms := s2.Terms("并发加载测试"); !slices.Contains(terms, "并发加载测试") {
				t.Errorf("concurrent New: Terms = %q", terms)
			}
		})
	}
	wg.Wait()
}

// TestNoGseSegmenterField makes sure no gse.Segmenter is reachable from
// Segmenter's type: with reflection-based method lookup in the program
// (html/template) that would link gse's 33 MB of embedded dictionaries into
// the binary (see the package comment).
func TestNoGseSegmenterField(t *testing.T) {
	bad := reflect.TypeFor[gse.Segmenter]()
	seen := map[reflect.Type]bool{}
	var walk func(typ reflect.Type, path string)
	walk = func(typ reflect.Type, path string) {
		if seen[typ] {
			return
		}
		seen[typ] = true
		if typ == bad {
			t.Errorf("gse.Segmenter reachable via %s", path)
			return
		}
		switch typ.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Chan:
			walk(typ.Elem(), path+"[elem]")
		case reflect.Map:
			walk(typ.Key(), path+"[key]")
			walk(typ.Elem(), path+"[elem]")
		case reflect.Struct:
			for i := range typ.NumField() {
				walk(typ.Field(i).Type, path+"."+typ.Field(i).Name)
			}
		}
	}
	walk(reflect.TypeFor[Segmenter](), "Segmenter")
}

// TestLoadFootprint reports (does not assert) what New costs, for the
// start-up and memory budget.
func TestLoadFootprint(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	s, err := New()
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	runtime.GC()
	runtime.ReadMemStats(&after)
	t.Logf("New(): %v, %d words (dict.txt %d bytes, extra.txt %d bytes), heap retained %.1f MB, allocated %.1f MB, GOMAXPROCS %d",
		elapsed.Round(time.Millisecond), s.dict.NumTokens(), len(dictData), len(extraData),
		float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20), float64(allocated)/(1<<20), runtime.GOMAXPROCS(0))
	runtime.KeepAlive(s)
}

var benchTexts = []string{
	"开饭店",
	"我想开个饭店",
	"生孩子要办什么",
	"怎么办理居住证",
	"社保卡丢了补办",
	"ID card 身份证 2025",
	"个体工商户设立登记",
	"食品经营许可证核发：申请人应当具备与经营的食品品种、数量相适应的食品原料处理和食品加工、销售、贮存等场所，保持该场所环境整洁，并与有毒、有害场所以及其他污染源保持规定的距离。",
}

func BenchmarkTerms(b *testing.B) {
	s := newShared(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Terms(benchTexts[i%len(benchTexts)])
	}
}

func BenchmarkBigrams(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Bigrams(benchTexts[i%len(benchTexts)])
	}
}

func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(); err != nil {
			b.Fatal(err)
		}
	}
}
