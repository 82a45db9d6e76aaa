package operator

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"
)

// Every case here is answered before the store is read, so the service
// has none.
func TestRouterRefusesBeforeTheStore(t *testing.T) {
	h, err := NewHTTP(HTTPConfig{Listen: "127.0.0.1:0", Tokens: []Token{{Name: "ana", Secret: "0123456789abcdef"}}}, &Service{}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	bearer := "Bearer 0123456789abcdef"
	cases := []struct {
		method, target, auth, site string
		code                       int
		msg                        string
	}{
		{"GET", "/api/events", "", "", 401, "bearer token is required"},
		{"GET", "/api/events", "Bearer 0123456789abcdeX", "", 401, "the bearer token is not valid"},
		{"GET", "/api/events", "Bearer bob:0123456789abcdef", "", 401, "the bearer token is not valid"},
		{"GET", "/api/events", "Bearer ana:0123456789abcdef", "", 400, ""}, // as the token file writes it
		{"GET", "/api/runs/sf-1", bearer, "", 400, "runId is required"},
		{"GET", "/api//events", bearer, "", 404, "no such endpoint"},
		{"GET", "/api/events", "bearer 0123456789abcdef", "", 400, ""}, // the scheme is case-insensitive; pageSize below
		{"GET", "/api/events?pageSize=0", bearer, "", 400, "pageSize 0 must be 1 to 100"},
		{"GET", "/api/events?pagesize=5", bearer, "", 400, `unknown query parameter "pagesize"`},
		{"GET", "/api/events?pageSize=%zz", bearer, "", 400, "query string"},
		{"POST", "/api/events/actioned", bearer, "cross-site", 403, "cross-origin"},
		{"POST", "/api/events/actioned", "", "cross-site", 403, "cross-origin"},
		{"DELETE", "/api/events/x", bearer, "", 405, "method not allowed"},
		{"GET", "/api/missing", bearer, "", 404, "no such endpoint"},
		{"POST", "/api/integrations/bad.id/enable", bearer, "same-origin", 400, "integrationId"},
		{"GET", "/api/integrations?pageSize=101", bearer, "", 400, "pageSize 101 must be 1 to 100"},
		{"GET", "/api/integrations?integrationId=x", bearer, "", 400, `unknown query parameter "integrationId"`},
		{"GET", "/api/external-mappings?pageSize=a", bearer, "", 400, `pageSize "a" must be a whole number`},
		{"GET", "/api/external-mappings?nextToken=a&nextToken=b", bearer, "", 400, "given 2 times"},
		{"GET", "/api/runs/bad.id/run-1", bearer, "", 400, "integrationId"},
		{"GET", "/api/runs/sf-1/", bearer, "", 400, "runId is required"},
		{"GET", "/api/runs/sf-1/run-1?x=1", bearer, "", 400, "unknown query parameter"},
		{"POST", "/api/external-mappings", bearer, "cross-site", 403, "cross-origin"},
		{"POST", "/api/external-mappings", "", "", 401, "bearer token is required"},
		{"DELETE", "/api/external-mappings", bearer, "", 405, "method not allowed"},
	}
	for i, c := range cases {
		target := c.target
		if c.code == 400 && c.msg == "" {
			target, c.msg = "/api/events?pageSize=0", "pageSize 0"
		}
		req := httptest.NewRequest(c.method, target, strings.NewReader(""))
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		if c.site != "" {
			req.Header.Set("Sec-Fetch-Site", c.site)
		}
		w := httptest.NewRecorder()
		h.Handler().ServeHTTP(w, req)
		var body struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(w.Body.Bytes(), &body)
		if w.Code != c.code || !strings.Contains(body.Message, c.msg) {
			t.Errorf("case %d %s %s: %d %s, want %d containing %q", i, c.method, target, w.Code, w.Body, c.code, c.msg)
		}
		if w.Header().Get("Content-Security-Policy") != "default-src 'none'; frame-ancestors 'none'" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("case %d: security headers %v", i, w.Header())
		}
		if strings.Contains(w.Body.String(), "0123456789abcdef") {
			t.Errorf("case %d: the reply holds the token", i)
		}
	}
}

// TestHostIsCheckedWithoutTokens: a rebound name reaches loopback with its
// own Host; with no token to stop it, the Host does.
func TestHostIsCheckedWithoutTokens(t *testing.T) {
	h, err := NewHTTP(HTTPConfig{Listen: "127.0.0.2:8080"}, &Service{}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]int{
		"evil.example": 403, "evil.example:8080": 403, "127.0.0.2": 403, "127.0.0.2:8081": 403, "": 403,
		"127.0.0.1:8080": 400, "localhost": 400, "LOCALHOST:9": 400, "[::1]:8080": 400, "127.0.0.2:8080": 400,
	} {
		req := httptest.NewRequest("GET", "/api/events?pageSize=0", nil)
		req.Host = host
		w := httptest.NewRecorder()
		h.Handler().ServeHTTP(w, req)
		if w.Code != want || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
			t.Errorf("Host %q: %d %s, want %d", host, w.Code, w.Body, want)
		}
	}
}

func TestParseTokenAndLoopback(t *testing.T) {
	for in, want := range map[string]Token{
		"0123456789abcdef":                 {Name: DefaultTokenName, Secret: "0123456789abcdef"},
		"ana@example.com:0123456789abcdef": {Name: "ana@example.com", Secret: "0123456789abcdef"},
	} {
		if got, err := ParseToken(in); err != nil || got != want {
			t.Errorf("%q: %+v %v", in, got, err)
		}
	}
	for _, bad := range []string{"short", "ana:short", "a b:0123456789abcdef", ":0123456789abcdef", "ana:0123456789 abcdef"} {
		if _, err := ParseToken(bad); err == nil || strings.Contains(err.Error(), "0123456789") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	for host, want := range map[string]bool{"127.0.0.1": true, "::1": true, "localhost": true, "127.1.2.3": true, "": false, "0.0.0.0": false, "10.0.0.1": false, "example.com": false} {
		if IsLoopback(host) != want {
			t.Errorf("IsLoopback(%q) != %t", host, want)
		}
	}
	if err := (HTTPConfig{Listen: ":8080"}).Validate(); err == nil || !strings.Contains(err.Error(), ErrNoToken.Error()) {
		t.Errorf(":8080 without a token: %v", err)
	}
	if err := (HTTPConfig{Listen: "127.0.0.1:8080"}).Validate(); err != nil {
		t.Errorf("loopback without a token: %v", err)
	}
}

func TestErrorMatchesItsSentinel(t *testing.T) {
	var err error = errorf(http.StatusNotFound, "x")
	if !errors.Is(err, ErrNotFound) || errors.Is(err, ErrBadRequest) {
		t.Error("a 404 is ErrNotFound only")
	}
}
