package test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is where Debian's chromium package installs the browser.
const ChromiumPath = "/usr/bin/chromium"

// BrowserTimeout bounds each browser step of a test.
const BrowserTimeout = 20 * time.Second

// Browser is a headless Chromium driven over the DevTools protocol, with
// a fresh profile, started for one test and stopped at its cleanup.
type Browser struct {
	t   testing.TB
	ctx context.Context
}

// chromium returns the browser's path. Without it a browser test skips,
// except in CI (CI set), where it fails: there the browser tests must run.
func chromium(t testing.TB) string {
	t.Helper()
	path := ChromiumPath
	if _, err := os.Stat(path); err != nil {
		if p, lerr := exec.LookPath("chromium"); lerr == nil {
			return p
		}
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is not installed (%v); in CI the browser tests must run: .ci/run installs it", err)
		}
		t.Skipf("chromium is not installed at %s: apt-get install chromium", path)
	}
	return path
}

// StartBrowser starts headless Chromium, 1440×900, on a fresh profile.
func StartBrowser(t testing.TB) *Browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(func(string, ...any) {}))
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first run starts the browser: no timeout on it, since cancelling
	// that context would stop the browser.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &Browser{t: t, ctx: ctx}
}

// Context is the browser's context, for chromedp calls a test makes itself.
func (b *Browser) Context() context.Context { return b.ctx }

// Do runs actions within BrowserTimeout and fails the test on an error.
func (b *Browser) Do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, BrowserTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// Text returns the visible text of the first element sel matches.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	return BrowserRun(b, chromedp.Text(chromedp.CSS(sel)))
}

// TryText is Text without failing: the text, or the error (an element
// that is not there within a second).
func (b *Browser) TryText(sel string) (string, error) {
	ctx, cancel := context.WithTimeout(b.ctx, time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
}

// Eval evaluates a JavaScript expression in the page.
func Eval[T any](b *Browser, expr string) T {
	b.t.Helper()
	return BrowserRun(b, chromedp.Evaluate[T](expr))
}

// BrowserRun runs one action with a value within BrowserTimeout, failing
// the test on an error.
func BrowserRun[T any](b *Browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, BrowserTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// Screenshot saves a full-page PNG of the page at width×height into the
// directory $CONSOLE_SCREENSHOTS as name.png, when that is set, and puts
// the viewport back to 1440×900.
func (b *Browser) Screenshot(name string, width, height int64) {
	b.t.Helper()
	dir := screenshotDir(b.t)
	if dir == "" {
		return
	}
	b.Do(chromedp.EmulateViewport(width, height))
	png := BrowserRun(b, chromedp.FullScreenshot(100))
	b.Do(chromedp.EmulateViewport(1440, 900))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// screenshotDir is $CONSOLE_SCREENSHOTS, "" when unset; a relative one is
// taken from the module's root, not from test/ where go test runs.
func screenshotDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("CONSOLE_SCREENSHOTS")
	if dir == "" || filepath.IsAbs(dir) {
		return dir
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, dir)
}

// TryEval evaluates expr without failing the test, for polling while the
// page may be navigating.
func TryEval[T any](b *Browser, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr))
}
