package notify

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// smtpServer is a minimal in-process mail server that records what it
// receives: EHLO, STARTTLS (when given a certificate), AUTH PLAIN, MAIL,
// RCPT, DATA and QUIT.
type smtpServer struct {
	t        *testing.T
	ln       net.Listener
	tls      *tls.Config // offer STARTTLS when set
	rcptCode int         // answer RCPT with this code when set

	mu   sync.Mutex
	got  []received
	done sync.WaitGroup
}

type received struct {
	tls      bool
	user     string
	pass     string
	from, to string
	data     string
}

func newSMTPServer(t *testing.T, tlsConfig *tls.Config) *smtpServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{t: t, ln: ln, tls: tlsConfig}
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.done.Add(1)
			go func() { defer s.done.Done(); s.serve(c) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); s.done.Wait() })
	return s
}

func (s *smtpServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *smtpServer) mails() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

func (s *smtpServer) serve(conn net.Conn) {
	defer conn.Close()
	tp := textproto.NewConn(conn)
	var r received
	tp.PrintfLine("220 test.example ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			lines := []string{"test.example"}
			if s.tls != nil && !r.tls {
				lines = append(lines, "STARTTLS")
			} else {
				lines = append(lines, "AUTH PLAIN")
			}
			lines = append(lines, "8BITMIME")
			for i, l := range lines {
				sep := "-"
				if i == len(lines)-1 {
					sep = " "
				}
				tp.PrintfLine("250%s%s", sep, l)
			}
		case "STARTTLS":
			tp.PrintfLine("220 ready")
			tc := tls.Server(conn, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, tp, r.tls = tc, textproto.NewConn(tc), true
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			b, err := base64.StdEncoding.DecodeString(resp)
			parts := strings.Split(string(b), "\x00")
			if mech != "PLAIN" || err != nil || len(parts) != 3 {
				tp.PrintfLine("535 bad auth")
				continue
			}
			r.user, r.pass = parts[1], parts[2]
			tp.PrintfLine("235 ok")
		case "MAIL":
			r.from, _, _ = strings.Cut(strings.TrimPrefix(strings.TrimPrefix(arg, "FROM:"), "<"), ">")
			tp.PrintfLine("250 ok")
		case "RCPT":
			to := strings.Trim(strings.TrimPrefix(arg, "TO:"), "<>")
			if s.rcptCode != 0 {
				tp.PrintfLine("%d 5.1.1 <%s>: mailbox unavailable", s.rcptCode, to)
				continue
			}
			r.to = to
			tp.PrintfLine("250 ok")
		case "DATA":
			tp.PrintfLine("354 go on")
			b, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			r.data = string(b)
			s.mu.Lock()
			s.got = append(s.got, r)
			s.mu.Unlock()
			tp.PrintfLine("250 queued")
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("502 unknown")
		}
	}
}

// testTLS returns a server certificate for 127.0.0.1 and a client config
// that trusts it (httptest's test certificate).
func testTLS(t *testing.T) (server, client *tls.Config) {
	hs := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(hs.Close)
	pool := x509.NewCertPool()
	pool.AddCert(hs.Certificate())
	return &tls.Config{Certificates: hs.TLS.Certificates}, &tls.Config{RootCAs: pool}
}

func TestSMTPSendsWithSTARTTLSAndAuth(t *testing.T) {
	serverTLS, clientTLS := testTLS(t)
	srv := newSMTPServer(t, serverTLS)
	s := &SMTP{Host: "127.0.0.1", Port: srv.port(), Username: "tongban", Password: "s3cret", From: "通办 <noreply@zwfw.example.gov.cn>", TLS: clientTLS}
	m := Message{To: testEmail, Subject: "办件已受理", Text: "您的办件 LJ2026-000001（食品经营许可）已受理。\n\nhttps://zwfw.example.gov.cn/applications/a1\n.\n"}
	if err := s.Send(t.Context(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.mails()
	if len(got) != 1 {
		t.Fatalf("server received %d mails, want 1", len(got))
	}
	r := got[0]
	if !r.tls || r.user != "tongban" || r.pass != "s3cret" || r.from != "noreply@zwfw.example.gov.cn" || r.to != testEmail {
		t.Fatalf("session tls=%v user=%q pass=%q from=%q to=%q; want STARTTLS, the credentials and the envelope", r.tls, r.user, r.pass, r.from, r.to)
	}
	msg, err := mail.ReadMessage(strings.NewReader(r.data))
	if err != nil {
		t.Fatalf("message does not parse: %v\n%s", err, r.data)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != m.Subject {
		t.Errorf("Subject = %q, %v; want %q", subject, err, m.Subject)
	}
	from, err := msg.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "通办" || from[0].Address != "noreply@zwfw.example.gov.cn" {
		t.Errorf("From = %v, %v", from, err)
	}
	if msg.Header.Get("To") != testEmail || !strings.HasPrefix(msg.Header.Get("Content-Type"), "text/plain; charset=utf-8") {
		t.Errorf("headers = %v", msg.Header)
	}
	body, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, msg.Body))
	if err != nil || string(body) != m.Text {
		t.Errorf("body = %q, %v; want %q", body, err, m.Text)
	}
}

func TestSMTPWithoutTLSOrAuth(t *testing.T) {
	srv := newSMTPServer(t, nil)
	s := &SMTP{Host: "127.0.0.1", Port: srv.port(), From: "noreply@zwfw.example.gov.cn"}
	if err := s.Send(t.Context(), Message{To: testEmail, Subject: "s", Text: "t"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := srv.mails(); len(got) != 1 || got[0].tls || got[0].user != "" {
		t.Fatalf("received %+v; want one mail, no TLS, no auth", got)
	}
}

func TestSMTPErrors(t *testing.T) {
	t.Run("refused recipient is permanent", func(t *testing.T) {
		srv := newSMTPServer(t, nil)
		srv.rcptCode = 550
		s := &SMTP{Host: "127.0.0.1", Port: srv.port(), From: "noreply@zwfw.example.gov.cn"}
		err := s.Send(t.Context(), Message{To: testEmail, Subject: "s", Text: "t"})
		if err == nil || !IsPermanent(err) {
			t.Fatalf("Send = %v, want a permanent error", err)
		}
	})
	t.Run("temporary refusal is retried", func(t *testing.T) {
		srv := newSMTPServer(t, nil)
		srv.rcptCode = 450
		s := &SMTP{Host: "127.0.0.1", Port: srv.port(), From: "noreply@zwfw.example.gov.cn"}
		err := s.Send(t.Context(), Message{To: testEmail, Subject: "s", Text: "t"})
		if err == nil || IsPermanent(err) {
			t.Fatalf("Send = %v, want a temporary error", err)
		}
	})
	t.Run("invalid address", func(t *testing.T) {
		s := &SMTP{Host: "127.0.0.1", Port: 1, From: "noreply@zwfw.example.gov.cn"}
		err := s.Send(t.Context(), Message{To: "not an address", Subject: "s", Text: "t"})
		if err == nil || !IsPermanent(err) || strings.Contains(err.Error(), "not an address") {
			t.Fatalf("Send = %v, want a permanent error without the address", err)
		}
	})
	t.Run("no server", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		s := &SMTP{Host: "127.0.0.1", Port: port, From: "noreply@zwfw.example.gov.cn"}
		err := s.Send(t.Context(), Message{To: testEmail, Subject: "s", Text: "t"})
		if err == nil || IsPermanent(err) {
			t.Fatalf("Send = %v, want a temporary error", err)
		}
	})
	t.Run("silent server times out", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			c, err := ln.Accept()
			if err == nil {
				defer c.Close()
				io.Copy(io.Discard, c) // never greets
			}
		}()
		// The greeting never comes; the send's deadline ends the wait.
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		s := &SMTP{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, From: "noreply@zwfw.example.gov.cn"}
		if err := s.Send(ctx, Message{To: testEmail, Subject: "s", Text: "t"}); err == nil {
			t.Fatal("Send to a silent server succeeded")
		}
	})
}

func TestComposeEmailKeepsHeadersOnOneLine(t *testing.T) {
	from := &mail.Address{Address: "noreply@example.cn"}
	to := &mail.Address{Address: testEmail}
	b := composeEmail(from, to, Message{Subject: "a\r\nBcc: victim@example.cn", Text: "x"}, t0)
	msg, err := mail.ReadMessage(bufio.NewReader(strings.NewReader(string(b))))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get("Bcc") != "" {
		t.Fatal("a line break in the subject started a new header")
	}
}

func TestSMSGateway(t *testing.T) {
	var mu sync.Mutex
	var got []map[string]string
	var auth []string
	status := http.StatusOK
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]string
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json; charset=utf-8" || json.NewDecoder(r.Body).Decode(&body) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, body)
		auth = append(auth, r.Header.Get("Authorization"))
		st := status
		mu.Unlock()
		w.WriteHeader(st)
		fmt.Fprintf(w, `{"error":"number %s refused"}`, body["to"])
	}))
	defer gw.Close()
	g := &SMSGateway{URL: gw.URL + "/send", Token: "tok-123"}
	if err := g.Send(t.Context(), Message{To: testPhone, Text: "【通办】您的办件已受理。"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if len(got) != 1 || got[0]["to"] != testPhone || got[0]["text"] != "【通办】您的办件已受理。" || auth[0] != "Bearer tok-123" {
		t.Fatalf("gateway got %v with %v", got, auth)
	}
	for _, tc := range []struct {
		status    int
		permanent bool
	}{{http.StatusBadRequest, true}, {http.StatusUnauthorized, true}, {http.StatusTooManyRequests, false}, {http.StatusBadGateway, false}} {
		mu.Lock()
		status = tc.status
		mu.Unlock()
		err := g.Send(t.Context(), Message{To: testPhone, Text: "x"})
		if err == nil || IsPermanent(err) != tc.permanent {
			t.Errorf("gateway answering %d: Send = %v, want permanent=%v", tc.status, err, tc.permanent)
		}
		if err != nil && strings.Contains(err.Error(), testPhone) {
			t.Errorf("error %q carries the phone number", err)
		}
		if err != nil && !strings.Contains(err.Error(), strconv.Itoa(tc.status)) {
			t.Errorf("error %q does not give the status", err)
		}
	}
}
