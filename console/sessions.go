package console

import (
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"
)

// maxSessions bounds the sessions held: a flood of sign-ins cannot grow
// memory without end (each needs a valid token anyway).
const maxSessions = 10000

// sessions maps opaque random session ids to the token name they act as.
// They live in memory: a restart signs everyone out, and the cookie never
// holds the token.
type sessions struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]session
}

type session struct {
	who     string
	expires time.Time
}

func newSessions(ttl time.Duration) *sessions {
	return &sessions{ttl: ttl, m: map[string]session{}}
}

// create returns a new session id acting as who.
func (s *sessions) create(who string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	id := base64.RawURLEncoding.EncodeToString(b)
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= maxSessions {
		var oldest string
		for k, v := range s.m {
			if v.expires.Before(now) {
				delete(s.m, k)
			} else if oldest == "" || v.expires.Before(s.m[oldest].expires) {
				oldest = k
			}
		}
		if len(s.m) >= maxSessions {
			delete(s.m, oldest)
		}
	}
	s.m[id] = session{who: who, expires: now.Add(s.ttl)}
	return id, nil
}

// lookup returns who the session id acts as, if it is live.
func (s *sessions) lookup(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[id]
	if !ok {
		return "", false
	}
	if time.Now().After(v.expires) {
		delete(s.m, id)
		return "", false
	}
	return v.who, true
}

func (s *sessions) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}
