package operator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"strings"
)

// serverErrorHeaders is what net/http writes after the status line when it
// refuses a request it cannot parse (a bad percent-escape in the path, a
// header too large), before any handler runs.
const serverErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// jsonErrorListener gives its connections jsonErrorConn, so that the
// errors net/http answers itself are JSON too.
type jsonErrorListener struct{ net.Listener }

func (l jsonErrorListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return jsonErrorConn{c}, nil
}

// jsonErrorConn rewrites net/http's own plain-text error replies, each one
// write, as {"message"} with the security headers. A handler's reply never
// looks like one: securityHeaders puts Cache-Control before Content-Type.
type jsonErrorConn struct{ net.Conn }

func (c jsonErrorConn) Write(b []byte) (int, error) {
	head, body, ok := bytes.Cut(b, []byte(serverErrorHeaders))
	status, isErr := bytes.CutPrefix(head, []byte("HTTP/1.1 "))
	if !ok || !isErr || bytes.Contains(status, []byte("\r\n")) || len(status) < 3 {
		return c.Conn.Write(b)
	}
	code, _, _ := strings.Cut(string(status), " ")
	msg := strings.ToLower(strings.TrimPrefix(string(body), code+" "))
	if code == "400" && string(body) == "400 Bad Request" {
		msg = "bad request: the request line or a header is malformed (a bad percent-escape in the path, say)"
	}
	j, _ := json.Marshal(map[string]string{"message": msg})
	j = append(j, '\n')
	line, _, _ := strings.Cut(string(status), ":")
	reply := fmt.Sprintf("HTTP/1.1 %s\r\nCache-Control: no-store\r\nConnection: close\r\nContent-Length: %d\r\n"+
		"Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\nContent-Type: application/json; charset=utf-8\r\n"+
		"Referrer-Policy: no-referrer\r\nX-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\n\r\n%s", line, len(j), j)
	if _, err := c.Conn.Write([]byte(reply)); err != nil {
		return 0, err
	}
	return len(b), nil
}
