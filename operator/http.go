package operator

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/integration-events/integration-events/subjects"
	"go.uber.org/zap"
)

// DefaultHTTPReplyBytes is the HTTP reply budget: generous, since HTTP has
// no maximum payload, but bounded so that a reply stays a reasonable read.
// 100 records of a 64 KiB event with the longest note and operator take
// about 9 MB only when JSON escapes most of them; a page that would not
// fit ends early with a nextToken, as over NATS.
const DefaultHTTPReplyBytes = 8 << 20

// maxRequestBytes bounds a request body: 100 ids of 256 bytes and a note
// of 4 KiB are about 30 KB.
const maxRequestBytes = 1 << 20

// LocalIdentity is who did it (actionedBy, enabledBy) for a request over
// HTTP on loopback when no token is configured: whoever can reach the
// loopback address, so no person is named.
const LocalIdentity = "local"

// ErrNoToken is returned by HTTPConfig.Validate for an address other than
// loopback without a token.
var ErrNoToken = errors.New("the HTTP API listens beyond loopback but has no token")

// Token is a bearer token the HTTP API accepts. Name is who acts with it:
// it becomes actionedBy and enabledBy.
type Token struct {
	Name   string
	Secret string
}

// MinTokenBytes is the shortest token accepted.
const MinTokenBytes = 16

// DefaultTokenName names a token given without a name.
const DefaultTokenName = "token"

var tokenName = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)

// ParseToken reads "NAME:SECRET", or a bare "SECRET" named
// DefaultTokenName. The secret is at least MinTokenBytes and holds no
// space; errors never quote it.
func ParseToken(s string) (Token, error) {
	t := Token{Name: DefaultTokenName, Secret: strings.TrimSpace(s)}
	if name, secret, ok := strings.Cut(t.Secret, ":"); ok {
		if !tokenName.MatchString(name) {
			return Token{}, errors.New("token name (before the ':') must be 1 to 64 of A-Z a-z 0-9 . _ @ -")
		}
		t.Name, t.Secret = name, secret
	}
	switch {
	case len(t.Secret) < MinTokenBytes:
		return Token{}, fmt.Errorf("the token named %q is shorter than %d bytes", t.Name, MinTokenBytes)
	case strings.ContainsAny(t.Secret, " \t\r\n"):
		return Token{}, fmt.Errorf("the token named %q holds white space", t.Name)
	}
	return t, nil
}

// ReadTokenFile reads tokens from path: one per line, "NAME:SECRET" or a
// bare secret; blank lines and lines starting with # are skipped.
func ReadTokenFile(path string) ([]Token, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	var out []Token
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		t, err := ParseToken(line)
		if err != nil {
			return nil, fmt.Errorf("token file %s line %d: %w", path, i+1, err)
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("token file %s holds no token", path)
	}
	return out, nil
}

// HTTPConfig configures the HTTP transport.
type HTTPConfig struct {
	// Listen is the host:port to listen on. Required.
	Listen string
	// Tokens are the bearer tokens accepted. With none, requests are not
	// authenticated, which only a loopback Listen allows, and act as
	// LocalIdentity.
	Tokens []Token
	// MaxReplyBytes is the reply budget; default DefaultHTTPReplyBytes.
	MaxReplyBytes int
	// RequestTimeout bounds one request's work; default 30s.
	RequestTimeout time.Duration
	// Routes, when set, registers more routes on the server's mux (the
	// console's pages), behind the same cross-origin protection, Host check
	// and security headers; such a route authenticates its own callers,
	// with api's Tokens, and may set its own Content-Security-Policy. A
	// path neither routes is a JSON 404.
	Routes func(mux *http.ServeMux, api *HTTP)
	// Metrics, when set, is served at GET /metrics, behind Tokens like the
	// API: Prometheus sends one as a bearer token (authorization in its
	// scrape config).
	Metrics http.Handler
}

func (c *HTTPConfig) setDefaults() {
	if c.MaxReplyBytes == 0 {
		c.MaxReplyBytes = DefaultHTTPReplyBytes
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 30 * time.Second
	}
}

// Validate reports a bad address, a bad budget, or ErrNoToken. Zero values
// stand for their defaults.
func (c HTTPConfig) Validate() error {
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return fmt.Errorf("http-listen %q: %w", c.Listen, err)
	}
	if c.MaxReplyBytes != 0 && c.MaxReplyBytes < minDataBytes*2 {
		return fmt.Errorf("http reply budget %d bytes is under %d", c.MaxReplyBytes, minDataBytes*2)
	}
	if len(c.Tokens) == 0 && !IsLoopback(host) {
		return fmt.Errorf("%w: %s", ErrNoToken, c.Listen)
	}
	return nil
}

// IsLoopback reports whether host ("localhost" or an IP address) is a
// loopback address; "" (every interface) is not.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// HTTP serves a Service as a JSON API over HTTP: GET /api/events,
// GET /api/events/{id}, POST /api/events/actioned, GET /api/integrations,
// GET /api/integrations/{id}, POST /api/integrations/{id}/enable,
// GET /api/runs/{integrationId}/{runId}, GET /api/external-mappings,
// POST /api/external-mappings, the probes GET /healthz and GET /readyz, and GET /metrics when HTTPConfig.Metrics is set. Errors are {"message": ...} with
// 400, 401, 403, 404 or 503 (500 for a fault of the service).
type HTTP struct {
	cfg    HTTPConfig
	svc    *Service
	log    *zap.SugaredLogger
	tokens Tokens
	h      http.Handler
	srv    *http.Server
	ln     net.Listener
	done   chan struct{}
}

// tokenHash is a token's SHA-256: comparing hashes in constant time
// compares secrets of any length without telling their length.
type tokenHash struct {
	name string
	sum  [sha256.Size]byte
}

// Tokens are the tokens configured, as hashes; empty when none are.
type Tokens []tokenHash

// NewTokens returns ts as Tokens.
func NewTokens(ts []Token) Tokens {
	out := make(Tokens, 0, len(ts))
	for _, t := range ts {
		out = append(out, tokenHash{name: t.Name, sum: sha256.Sum256([]byte(t.Secret))})
	}
	return out
}

// Match returns the name of the token s is: its secret alone, or written
// as in the token file, "NAME:SECRET". Every token is compared, in
// constant time, whichever matches.
func (ts Tokens) Match(s string) (string, bool) {
	s = strings.TrimSpace(s)
	bare := sha256.Sum256([]byte(s))
	name, secret, named := strings.Cut(s, ":")
	withName := sha256.Sum256([]byte(secret))
	who, found := "", false
	for _, t := range ts {
		a := subtle.ConstantTimeCompare(bare[:], t.sum[:])
		b := subtle.ConstantTimeCompare(withName[:], t.sum[:])
		if (a == 1 || b == 1 && named && name == t.name) && !found {
			who, found = t.name, true
		}
	}
	return who, found
}

// NewHTTP returns the HTTP transport for svc. Start listens.
func NewHTTP(cfg HTTPConfig, svc *Service, logger *zap.Logger) (*HTTP, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	h := &HTTP{cfg: cfg, svc: svc, log: logger.Sugar(), tokens: NewTokens(cfg.Tokens)}
	h.h = h.routes()
	return h, nil
}

// Handler returns the API's handler, with authentication, cross-origin
// protection and security headers.
func (h *HTTP) Handler() http.Handler { return h.h }

// Start listens on the configured address and serves in the background;
// an address that cannot be bound is an error here, not later.
func (h *HTTP) Start() error {
	ln, err := net.Listen("tcp", h.cfg.Listen)
	if err != nil {
		return fmt.Errorf("http listen: %w", err)
	}
	h.ln, h.done = ln, make(chan struct{})
	h.srv = &http.Server{
		Handler:           h.h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      h.cfg.RequestTimeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          zap.NewStdLog(h.log.Desugar()),
	}
	go func() {
		defer close(h.done)
		if err := h.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			h.log.Errorw("http api stopped", "error", err)
		}
	}()
	return nil
}

// Addr is the address listened on, once started.
func (h *HTTP) Addr() string { return h.ln.Addr().String() }

// Shutdown stops taking requests and waits, up to ctx, for those in flight.
func (h *HTTP) Shutdown(ctx context.Context) error {
	if h.srv == nil {
		return nil
	}
	err := h.srv.Shutdown(ctx)
	<-h.done
	return err
}

func (h *HTTP) routes() http.Handler {
	mux := http.NewServeMux()
	api := func(pattern string, f func(*http.Request, string) (any, error)) {
		mux.Handle(pattern, h.authenticated(f))
	}
	api("GET /api/events", h.listEvents)
	api("GET /api/events/{id}", h.getEvent)
	api("POST /api/events/actioned", h.actionEvents)
	api("GET /api/integrations/{id}", h.getIntegration)
	api("POST /api/integrations/{id}/enable", h.enableIntegration)
	api("GET /api/integrations", h.listIntegrations)
	// A run id may hold a slash: it is the rest of the path, each segment
	// percent-decoded.
	api("GET /api/runs/{integrationId}/{runId...}", h.getRun)
	// Without this the mux would redirect to the path with a slash.
	api("GET /api/runs/{integrationId}", func(*http.Request, string) (any, error) {
		return nil, badRequest("runId is required: GET /api/runs/{integrationId}/{runId}")
	})
	api("GET /api/external-mappings", h.listMappings)
	api("POST /api/external-mappings", h.createMapping)
	api("GET /api/status", h.status)
	if h.cfg.Routes != nil {
		h.cfg.Routes(mux, h)
	}
	if h.cfg.Metrics != nil {
		mux.Handle("GET /metrics", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, ok := h.authorize(w, r); ok {
				h.cfg.Metrics.ServeHTTP(w, r)
			}
		}))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := h.svc.Ready(ctx); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"message": "not ready: " + err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "cross-origin request refused: state-changing requests must come from the same site"})
	}))
	return securityHeaders(h.knownHost(cop.Handler(jsonFallback(mux))))
}

// knownHost refuses, when no token is configured, a request whose Host is
// not a loopback name or the listen address: a page whose name an attacker
// rebinds to 127.0.0.1 is same-origin to the browser, so only the Host it
// sends gives it away. With tokens, the token does.
func (h *HTTP) knownHost(next http.Handler) http.Handler {
	if len(h.tokens) > 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.isKnownHost(r.Host) {
			writeJSON(w, http.StatusForbidden, map[string]string{"message": "request refused: the Host header must be 127.0.0.1, [::1], localhost or the address listened on"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (h *HTTP) isKnownHost(hostport string) bool {
	host := hostport
	if hh, _, err := net.SplitHostPort(hostport); err == nil {
		host = hh
	}
	switch strings.ToLower(strings.TrimSuffix(host, ".")) {
	case "127.0.0.1", "::1", "[::1]", "localhost":
		return true
	}
	if hostport == h.cfg.Listen {
		return true
	}
	return h.ln != nil && hostport == h.ln.Addr().String()
}

// securityHeaders sets, on every response, the headers that keep a browser
// from sniffing, framing or leaking what the API answers.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		hd.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// jsonFallback answers what the mux does not route (404, 405, a redirect
// to a clean path) as the mux would, but with a JSON body.
func jsonFallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			if strings.HasPrefix(r.URL.Path, "/api/") {
				w = &noRedirect{ResponseWriter: w}
			}
			mux.ServeHTTP(w, r)
			return
		}
		rec := &statusRecorder{header: http.Header{}}
		mux.ServeHTTP(rec, r)
		for _, k := range []string{"Allow", "Location"} {
			if v := rec.header.Get(k); v != "" {
				w.Header().Set(k, v)
			}
		}
		status := rec.status
		if status == 0 {
			status = http.StatusNotFound
		}
		msg := strings.ToLower(http.StatusText(status))
		if status == http.StatusNotFound {
			msg = fmt.Sprintf("no such endpoint: %s %s", r.Method, r.URL.Path)
		}
		writeJSON(w, status, map[string]string{"message": msg})
	})
}

// noRedirect turns the mux's redirect to a canonical path (a doubled or
// trailing slash) into a JSON reply: an API client is told, not sent
// elsewhere.
type noRedirect struct {
	http.ResponseWriter
	redirected bool
}

func (n *noRedirect) WriteHeader(status int) {
	if status >= 300 && status < 400 && !n.redirected {
		n.redirected = true
		loc := n.Header().Get("Location")
		n.Header().Del("Location")
		writeJSON(n.ResponseWriter, http.StatusNotFound, map[string]string{"message": "no such endpoint; the path meant may be " + loc})
		return
	}
	n.ResponseWriter.WriteHeader(status)
}

func (n *noRedirect) Write(b []byte) (int, error) {
	if n.redirected {
		return len(b), nil
	}
	return n.ResponseWriter.Write(b)
}

// statusRecorder keeps the status and headers a handler writes and drops
// its body.
type statusRecorder struct {
	header http.Header
	status int
}

func (s *statusRecorder) Header() http.Header         { return s.header }
func (s *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (s *statusRecorder) WriteHeader(status int) {
	if s.status == 0 {
		s.status = status
	}
}

// authenticated runs f for the caller's identity, or answers 401: the
// token's name when tokens are configured, LocalIdentity when none are (on
// loopback only, as Validate holds). It writes f's reply or error.
func (h *HTTP) authenticated(f func(*http.Request, string) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who, ok := h.authorize(w, r)
		if !ok {
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), h.cfg.RequestTimeout)
		defer cancel()
		resp, err := f(r.WithContext(ctx), who)
		if err == nil {
			writeJSON(w, http.StatusOK, resp)
			return
		}
		var oe *Error
		if !errors.As(err, &oe) {
			// The store or NATS did not answer: the caller may retry.
			h.log.Errorw("http api request failed", "method", r.Method, "path", r.URL.Path, "error", err)
			oe = errorf(http.StatusServiceUnavailable, "service unavailable: %v", err)
		}
		writeJSON(w, oe.Status, map[string]string{"message": oe.Message})
	})
}

// authorize returns who r acts as: the name of the token it bears, or
// LocalIdentity when no token is configured. Without a valid token it
// answers 401 and returns false.
func (h *HTTP) authorize(w http.ResponseWriter, r *http.Request) (string, bool) {
	if len(h.tokens) == 0 {
		return LocalIdentity, true
	}
	who, ok := h.Identify(r)
	if !ok {
		msg := "a bearer token is required: Authorization: Bearer <token>"
		if r.Header.Get("Authorization") != "" {
			msg = "the bearer token is not valid: Authorization: Bearer <token>, the token as in the token file (NAME:SECRET) or its secret"
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="integration-events"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": msg})
	}
	return who, ok
}

// Identify returns the name of the token r bears as
// "Authorization: Bearer <token>", the token written as Tokens.Match takes
// it; false when it bears none or one not configured.
func (h *HTTP) Identify(r *http.Request) (string, bool) {
	scheme, secret, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return h.tokens.Match(secret)
}

// Tokens returns the tokens the API accepts, for the console's sign-in: the
// console and the API match a token the same way.
func (h *HTTP) Tokens() Tokens { return h.tokens }

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"internal error: the reply does not encode"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// query returns r's query parameters, or a 400 for a malformed query or a
// parameter not in allowed. Names are case-sensitive, as in the JSON.
func query(r *http.Request, allowed ...string) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, badRequest("query string: %v", err)
	}
	for name := range q {
		if !slices.Contains(allowed, name) {
			if len(allowed) == 0 {
				return nil, badRequest("unknown query parameter %q: this endpoint takes none", name)
			}
			return nil, badRequest("unknown query parameter %q (names are case-sensitive; this endpoint takes %s)", name, strings.Join(allowed, ", "))
		}
	}
	return q, nil
}

// single returns the one value of name, "" when absent, or a 400 when it is
// given more than once.
func single(q url.Values, name string) (string, error) {
	switch vs := q[name]; len(vs) {
	case 0:
		return "", nil
	case 1:
		return vs[0], nil
	default:
		return "", badRequest("query parameter %q is given %d times", name, len(vs))
	}
}

// listEvents serves GET /api/events: the query parameters are
// ListEventsRequest's fields; ids may be comma-separated, repeated, or both.
func (h *HTTP) listEvents(r *http.Request, _ string) (any, error) {
	q, err := query(r, "includeActioned", "eventName", "integrationId", "ids", "pageSize", "nextToken")
	if err != nil {
		return nil, err
	}
	var req subjects.ListEventsRequest
	fields := []struct {
		name string
		dst  *string
	}{{"eventName", &req.EventName}, {"integrationId", &req.IntegrationID}, {"nextToken", &req.NextToken}}
	for _, f := range fields {
		if *f.dst, err = single(q, f.name); err != nil {
			return nil, err
		}
	}
	if v, err := single(q, "includeActioned"); err != nil {
		return nil, err
	} else if v != "" {
		switch v {
		case "true":
			req.IncludeActioned = true
		case "false":
		default:
			return nil, badRequest("includeActioned %q must be true or false", v)
		}
	}
	if req.PageSize, err = queryPageSize(q); err != nil {
		return nil, err
	}
	if vs, given := q["ids"]; given {
		req.IDs = []string{}
		for _, v := range vs {
			for _, id := range strings.Split(v, ",") {
				if id = strings.TrimSpace(id); id == "" {
					return nil, badRequest("ids: an id is empty")
				}
				req.IDs = append(req.IDs, id)
			}
		}
	}
	return h.svc.ListEvents(r.Context(), req, h.cfg.MaxReplyBytes)
}

// queryPageSize returns the pageSize parameter of q, 0 when absent, or a
// 400 unless it is one whole number from 1 to MaxPageSize.
func queryPageSize(q url.Values) (int, error) {
	v, err := single(q, "pageSize")
	if _, given := q["pageSize"]; err != nil || !given {
		return 0, err
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, badRequest("pageSize %q must be a whole number from 1 to %d", v, subjects.MaxPageSize)
	}
	return n, CheckPageSize(n)
}

// queryPage reads the parameters of a paged listing: pageSize and
// nextToken, nothing else.
func queryPage(r *http.Request) (size int, token string, err error) {
	q, err := query(r, "pageSize", "nextToken")
	if err != nil {
		return 0, "", err
	}
	if size, err = queryPageSize(q); err != nil {
		return 0, "", err
	}
	token, err = single(q, "nextToken")
	return size, token, err
}

// listIntegrations serves GET /api/integrations?pageSize=&nextToken=.
func (h *HTTP) listIntegrations(r *http.Request, _ string) (any, error) {
	size, token, err := queryPage(r)
	if err != nil {
		return nil, err
	}
	return h.svc.ListIntegrations(r.Context(), subjects.ListIntegrationsRequest{PageSize: size, NextToken: token}, h.cfg.MaxReplyBytes)
}

// status serves GET /api/status.
func (h *HTTP) status(r *http.Request, _ string) (any, error) {
	if _, err := query(r); err != nil {
		return nil, err
	}
	return h.svc.Status(r.Context(), subjects.StatusRequest{}, h.cfg.MaxReplyBytes)
}

// getRun serves GET /api/runs/{integrationId}/{runId}.
func (h *HTTP) getRun(r *http.Request, _ string) (any, error) {
	if _, err := query(r); err != nil {
		return nil, err
	}
	return h.svc.Run(r.Context(), subjects.RunRequest{IntegrationID: r.PathValue("integrationId"), RunID: r.PathValue("runId")}, h.cfg.MaxReplyBytes)
}

// listMappings serves GET /api/external-mappings?pageSize=&nextToken=.
func (h *HTTP) listMappings(r *http.Request, _ string) (any, error) {
	size, token, err := queryPage(r)
	if err != nil {
		return nil, err
	}
	return h.svc.ListExternalMappings(r.Context(), subjects.ListExternalMappingsRequest{PageSize: size, NextToken: token}, h.cfg.MaxReplyBytes)
}

// createMappingRequest is the body of POST /api/external-mappings: who
// creates it is the caller's identity, not a field.
type createMappingRequest struct {
	M3terEntity         string `json:"m3terEntity"`
	M3terID             string `json:"m3terId"`
	ExternalSystem      string `json:"externalSystem"`
	ExternalTable       string `json:"externalTable"`
	ExternalID          string `json:"externalId"`
	IntegrationConfigID string `json:"integrationConfigId"`
}

func (h *HTTP) createMapping(r *http.Request, who string) (any, error) {
	var req createMappingRequest
	if err := readBody(r, &req); err != nil {
		return nil, err
	}
	return h.svc.CreateExternalMapping(r.Context(), subjects.CreateExternalMappingRequest{
		M3terEntity: req.M3terEntity, M3terID: req.M3terID, ExternalSystem: req.ExternalSystem, ExternalTable: req.ExternalTable,
		ExternalID: req.ExternalID, IntegrationConfigID: req.IntegrationConfigID, CreatedBy: who,
	}, h.cfg.MaxReplyBytes)
}

func (h *HTTP) getEvent(r *http.Request, _ string) (any, error) {
	if _, err := query(r); err != nil {
		return nil, err
	}
	return h.svc.Event(r.Context(), subjects.GetEventRequest{ID: r.PathValue("id")}, h.cfg.MaxReplyBytes)
}

// actionRequest is the body of POST /api/events/actioned: who actions is
// the caller's identity, not a field.
type actionRequest struct {
	IDs  []string `json:"ids"`
	Note string   `json:"note,omitempty"`
}

func (h *HTTP) actionEvents(r *http.Request, who string) (any, error) {
	var req actionRequest
	if err := readBody(r, &req); err != nil {
		return nil, err
	}
	return h.svc.ActionEvents(r.Context(), subjects.ActionEventsRequest{IDs: req.IDs, ActionedBy: who, Note: req.Note}, h.cfg.MaxReplyBytes)
}

func (h *HTTP) getIntegration(r *http.Request, _ string) (any, error) {
	if _, err := query(r); err != nil {
		return nil, err
	}
	return h.svc.Integration(r.Context(), subjects.IntegrationRequest{IntegrationID: r.PathValue("id")}, h.cfg.MaxReplyBytes)
}

// enableRequest is the optional body of POST /api/integrations/{id}/enable.
type enableRequest struct {
	Reason string `json:"reason,omitempty"`
}

func (h *HTTP) enableIntegration(r *http.Request, who string) (any, error) {
	var req enableRequest
	if err := readBody(r, &req); err != nil {
		return nil, err
	}
	return h.svc.EnableIntegration(r.Context(), subjects.EnableIntegrationRequest{IntegrationID: r.PathValue("id"), EnabledBy: who, Reason: req.Reason}, h.cfg.MaxReplyBytes)
}

// readBody decodes r's body strictly (decode) into v, refusing query
// parameters and a body over maxRequestBytes.
func readBody(r *http.Request, v any) error {
	if _, err := query(r); err != nil {
		return err
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes+1))
	if err != nil {
		return badRequest("request body: %v", err)
	}
	if len(b) > maxRequestBytes {
		return badRequest("request body is over %d bytes", maxRequestBytes)
	}
	return decode(b, v)
}
