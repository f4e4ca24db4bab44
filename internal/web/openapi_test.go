package web

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// openapiMethods are the keys of an OpenAPI path item that are operations.
var openapiMethods = map[string]bool{
	"get": true, "put": true, "post": true, "delete": true,
	"options": true, "head": true, "patch": true, "trace": true,
}

func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(openapiDoc, &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	return doc
}

// openapiOperations returns paths[path][method] for every operation in the
// document, keyed "METHOD path".
func openapiOperations(t *testing.T, doc map[string]any) map[string]map[string]any {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatal("openapi.json has no paths object")
	}
	out := map[string]map[string]any{}
	for p, item := range paths {
		ops, ok := item.(map[string]any)
		if !ok {
			t.Errorf("path %s is not an object", p)
			continue
		}
		for m, op := range ops {
			if !openapiMethods[m] {
				continue
			}
			o, ok := op.(map[string]any)
			if !ok {
				t.Errorf("operation %s %s is not an object", m, p)
				continue
			}
			out[strings.ToUpper(m)+" "+p] = o
		}
	}
	return out
}

// resolvePointer follows a local JSON pointer ("#/a/b") in doc.
func resolvePointer(doc any, ref string) (any, bool) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, false
	}
	cur := doc
	for _, tok := range strings.Split(ref[2:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[tok]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// walkRefs calls f with the location and value of every $ref in v.
func walkRefs(v any, at string, f func(at, ref string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == "$ref" {
				if s, ok := e.(string); ok {
					f(at, s)
				} else {
					f(at, "")
				}
				continue
			}
			walkRefs(e, at+"/"+k, f)
		}
	case []any:
		for _, e := range x {
			walkRefs(e, at+"[]", f)
		}
	}
}

func TestOpenAPIIsValidJSONAndVersion(t *testing.T) {
	doc := loadOpenAPI(t)
	v, _ := doc["openapi"].(string)
	if !strings.HasPrefix(v, "3.") {
		t.Errorf("openapi = %q, want 3.x", v)
	}
	info, _ := doc["info"].(map[string]any)
	if info == nil || info["title"] == nil || info["version"] == nil {
		t.Errorf("info needs a title and a version: %v", info)
	}
	n := 0
	walkRefs(doc, "", func(at, ref string) {
		n++
		if !strings.HasPrefix(ref, "#/components/") {
			t.Errorf("%s: $ref %q does not point into #/components/", at, ref)
			return
		}
		if _, ok := resolvePointer(doc, ref); !ok {
			t.Errorf("%s: $ref %q does not resolve", at, ref)
		}
	})
	if n == 0 {
		t.Error("openapi.json has no $ref at all: schemas are expected under components")
	}
}

func TestOpenAPICoversEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	ops := openapiOperations(t, doc)
	s := &Server{}
	routes := map[string]bool{}
	for _, rt := range s.routeTable() {
		key := rt.Method + " " + rt.Pattern
		routes[key] = true
		if !strings.HasPrefix(rt.Pattern, "/api/") {
			continue
		}
		if ops[key] == nil {
			t.Errorf("route %s %s is not in openapi.json", rt.Method, rt.Pattern)
		}
	}
	var keys []string
	for k := range ops {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !routes[k] {
			method, path, _ := strings.Cut(k, " ")
			t.Errorf("openapi.json describes %s %s, which is not a route", method, path)
		}
	}
}

var pathParamRE = regexp.MustCompile(`\{([^}]+)\}`)

// TestOpenAPIOperationsMatchRoutes checks what each operation says against
// its route: a unique operationId and a tag, the path parameters of the
// pattern, and sign-in exactly where the route needs a permission.
func TestOpenAPIOperationsMatchRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	ops := openapiOperations(t, doc)
	schemes, _ := resolvePointer(doc, "#/components/securitySchemes/cookieAuth")
	if sc, _ := schemes.(map[string]any); sc == nil || sc["type"] != "apiKey" || sc["in"] != "cookie" || sc["name"] != sessionCookie {
		t.Errorf("components.securitySchemes.cookieAuth = %v, want an apiKey in cookie %q", schemes, sessionCookie)
	}
	ids := map[string]string{}
	s := &Server{}
	for _, rt := range s.routeTable() {
		key := rt.Method + " " + rt.Pattern
		op := ops[key]
		if op == nil {
			continue // reported by TestOpenAPICoversEveryRoute
		}
		id, _ := op["operationId"].(string)
		if id == "" {
			t.Errorf("%s: no operationId", key)
		} else if prev, dup := ids[id]; dup {
			t.Errorf("%s: operationId %q is also used by %s", key, id, prev)
		}
		ids[id] = key
		if tags, _ := op["tags"].([]any); len(tags) == 0 {
			t.Errorf("%s: no tags", key)
		}
		if _, ok := op["responses"].(map[string]any); !ok {
			t.Errorf("%s: no responses", key)
		}

		// Path parameters: exactly those of the pattern.
		declared := map[string]bool{}
		params, _ := op["parameters"].([]any)
		for _, p := range params {
			pm, _ := p.(map[string]any)
			if ref, ok := pm["$ref"].(string); ok {
				r, _ := resolvePointer(doc, ref)
				pm, _ = r.(map[string]any)
			}
			if pm["in"] == "path" {
				name, _ := pm["name"].(string)
				declared[name] = true
				if pm["required"] != true {
					t.Errorf("%s: path parameter %s must be required", key, name)
				}
			}
		}
		for _, m := range pathParamRE.FindAllStringSubmatch(rt.Pattern, -1) {
			if !declared[m[1]] {
				t.Errorf("%s: path parameter %s is not declared", key, m[1])
			}
			delete(declared, m[1])
		}
		for name := range declared {
			t.Errorf("%s: declares path parameter %s, which is not in the pattern", key, name)
		}

		// Sign-in: cookieAuth exactly on routes that need a permission,
		// and the permission named as the route table has it.
		sec, _ := op["security"].([]any)
		needsAuth := false
		for _, req := range sec {
			if m, _ := req.(map[string]any); m != nil {
				if _, ok := m["cookieAuth"]; ok {
					needsAuth = true
				}
			}
		}
		if rt.Perm == Public && needsAuth {
			t.Errorf("%s: route is public but the operation requires cookieAuth", key)
		}
		if rt.Perm != Public {
			if !needsAuth {
				t.Errorf("%s: route needs permission %q but the operation has no cookieAuth security", key, rt.Perm)
			}
			if got, _ := op["x-tongban-permission"].(string); got != string(rt.Perm) {
				t.Errorf("%s: x-tongban-permission = %q, want %q", key, got, rt.Perm)
			}
			if desc, _ := op["description"].(string); !strings.Contains(desc, "`"+string(rt.Perm)+"`") {
				t.Errorf("%s: description does not name the permission %q", key, rt.Perm)
			}
		}
	}
}
