// Package console is the operator console: server-rendered pages over
// operator.Service, mounted beside the HTTP API on the same server
// (operator.HTTPConfig.Routes = Console.Register). Templates, CSS and one
// small script are embedded; nothing is loaded from elsewhere, and no
// script runs inline, so the pages carry a strict Content-Security-Policy.
package console

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/integration-events/integration-events/operator"
	"go.uber.org/zap"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// CSP is the Content-Security-Policy of every console page: only the
// console's own script and stylesheet, no inline script or style.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

// SessionCookie is the name of the console's session cookie: an opaque
// random id, mapped to the token's name in memory.
const SessionCookie = "ie_session"

// Config configures the console.
type Config struct {
	// SessionTTL is how long a session lasts; default 12h.
	SessionTTL time.Duration
	// RequestTimeout bounds the work of one page; default 30s.
	RequestTimeout time.Duration
	// ChartMaxEvents bounds the events the chart reads; default 2,000.
	ChartMaxEvents int
	// PollInterval is how often an open events page asks for new events;
	// default 2.5s.
	PollInterval time.Duration
}

func (c *Config) setDefaults() {
	if c.SessionTTL == 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.ChartMaxEvents == 0 {
		c.ChartMaxEvents = 2000
	}
	if c.PollInterval == 0 {
		c.PollInterval = 2500 * time.Millisecond
	}
}

// Console serves the console's pages.
type Console struct {
	cfg Config
	svc *operator.Service
	log *zap.SugaredLogger
	// tokens are the API's (Register sets them): the login form takes one
	// and the session acts as its name. With none (loopback only), no
	// login is needed and everyone acts as operator.LocalIdentity.
	tokens   operator.Tokens
	sessions *sessions
	pages    map[string]*template.Template
	static   map[string]staticFile
	// assetVersion busts browser caches of the static files when they change.
	assetVersion string

	chartMu    sync.Mutex
	chartCache map[string]cachedChart
}

type staticFile struct {
	body  []byte
	ctype string
}

// New returns the console over svc.
func New(cfg Config, svc *operator.Service, logger *zap.Logger) (*Console, error) {
	cfg.setDefaults()
	c := &Console{cfg: cfg, svc: svc, log: logger.Sugar(), sessions: newSessions(cfg.SessionTTL),
		static: map[string]staticFile{}, chartCache: map[string]cachedChart{}}
	h := sha256.New()
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		h.Write(b)
		c.static[path.Base(p)] = staticFile{body: b, ctype: mime.TypeByExtension(path.Ext(p))}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("console static files: %w", err)
	}
	c.assetVersion = hex.EncodeToString(h.Sum(nil))[:12]
	if c.pages, err = parsePages(); err != nil {
		return nil, err
	}
	return c, nil
}

// Register adds the console's routes to mux; it is what
// operator.HTTPConfig.Routes takes. The API's cross-origin protection
// already refuses a state-changing request from another site, and its
// tokens are the ones the login takes.
func (c *Console) Register(mux *http.ServeMux, api *operator.HTTP) {
	c.tokens = api.Tokens()
	mux.Handle("GET /{$}", c.authed(c.eventsPage))
	mux.Handle("GET /events/rows", c.authed(c.eventRows))
	mux.Handle("POST /events/actioned", c.authed(c.actionEvents))
	mux.Handle("GET /integrations/{id}", c.authed(c.integrationPage))
	mux.Handle("POST /integrations/{id}/enable", c.authed(c.enableIntegration))
	mux.Handle("GET /integrations", c.authed(c.integrationsPage))
	// A run id may hold a slash, as in the API's route.
	mux.Handle("GET /runs/{integrationId}/{runId...}", c.authed(c.runPage))
	mux.Handle("GET /external-mappings", c.authed(c.mappingsPage))
	mux.Handle("GET /external-mappings/new", c.authed(c.mappingForm))
	mux.Handle("POST /external-mappings", c.authed(c.createMapping))
	mux.Handle("GET /login", c.headers(http.HandlerFunc(c.loginPage)))
	mux.Handle("POST /login", c.headers(http.HandlerFunc(c.login)))
	mux.Handle("POST /logout", c.headers(http.HandlerFunc(c.logout)))
	mux.Handle("GET /static/{name}", http.HandlerFunc(c.serveStatic))
}

// headers sets the console's security headers over the API's defaults.
func (c *Console) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", CSP)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// authed runs f for the caller's identity: the session's token name when
// tokens are configured (else a redirect to /login), LocalIdentity when
// none are.
func (c *Console) authed(f func(http.ResponseWriter, *http.Request, string)) http.Handler {
	return c.headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who := operator.LocalIdentity
		if len(c.tokens) > 0 {
			var ok bool
			if who, ok = c.sessionUser(r); !ok {
				if r.Method == http.MethodGet && r.URL.Path != "/events/rows" {
					http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
					return
				}
				http.Error(w, "sign in first", http.StatusUnauthorized)
				return
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), c.cfg.RequestTimeout)
		defer cancel()
		f(w, r.WithContext(ctx), who)
	}))
}

func (c *Console) sessionUser(r *http.Request) (string, bool) {
	ck, err := r.Cookie(SessionCookie)
	if err != nil {
		return "", false
	}
	return c.sessions.lookup(ck.Value)
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	if len(c.tokens) == 0 {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	c.render(w, http.StatusOK, "login", c.loginView(safeNext(r.URL.Query().Get("next")), ""))
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	if len(c.tokens) == 0 {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		c.render(w, http.StatusBadRequest, "login", c.loginView("/", "The form could not be read."))
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	name, ok := c.tokens.Match(r.PostForm.Get("token"))
	if !ok {
		c.log.Infow("console sign-in refused", "remote", r.RemoteAddr)
		c.render(w, http.StatusUnauthorized, "login", c.loginView(next, "That token is not valid."))
		return
	}
	id, err := c.sessions.create(name)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: id, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secureRequest(r), MaxAge: int(c.cfg.SessionTTL / time.Second)})
	c.log.Infow("console signed in", "who", name)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(SessionCookie); err == nil {
		c.sessions.remove(ck.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secureRequest(r), MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// secureRequest reports whether the browser reached us over TLS, directly
// or through a proxy that says so; only then may the cookie be Secure.
func secureRequest(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// safeNext returns next when it is a path on this site, else "/": a login
// must not redirect elsewhere.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return u.RequestURI()
}

func (c *Console) serveStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := c.static[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.ctype)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// The pages name files with ?v=<hash of every static file>.
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(f.body)
}

// fail answers an error of the service: its status and message for an
// *operator.Error, else 503.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := http.StatusServiceUnavailable, "The service did not answer; try again."
	var oe *operator.Error
	if errors.As(err, &oe) {
		status, msg = oe.Status, oe.Message
	} else {
		c.log.Errorw("console request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	c.render(w, status, "error", errorView{layout: c.frame(http.StatusText(status), "", ""), Status: status, Message: msg})
}

func (c *Console) loginView(next, msg string) loginView {
	v := loginView{layout: c.frame("Sign in", "", ""), Next: next}
	v.Nav = nil // nothing to navigate to before signing in
	v.Error = msg
	v.Flash = "Type your token as it is written in the token file, NAME:SECRET (ana:...), or its secret alone."
	return v
}
