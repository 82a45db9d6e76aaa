package bench

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress prints the current phase and its count every second.
type progress struct {
	w     io.Writer
	mu    sync.Mutex
	name  string
	n, of int
	done  chan struct{}
	once  sync.Once
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, done: make(chan struct{})}
	if w != nil {
		go p.tick()
	}
	return p
}

func (p *progress) tick() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
		}
		p.mu.Lock()
		if p.of > 0 {
			fmt.Fprintf(p.w, "  %s: %s of %s\n", p.name, thousands(p.n), thousands(p.of))
		}
		p.mu.Unlock()
	}
}

func (p *progress) phase(name string, of int) {
	p.mu.Lock()
	p.name, p.n, p.of = name, 0, of
	p.mu.Unlock()
}

func (p *progress) set(n int) {
	p.mu.Lock()
	p.n = n
	p.mu.Unlock()
}

func (p *progress) printf(format string, args ...any) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format+"\n", args...)
}

func (p *progress) stop() { p.once.Do(func() { close(p.done) }) }
