package notify

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/tongban/tongban/internal/db"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// SMTP sends email through a mail server (RFC 5321). It upgrades the
// connection with STARTTLS whenever the server offers it, verifying the
// server's certificate, and signs in with AUTH PLAIN when Username is set;
// net/smtp refuses to send the password over an unencrypted connection to
// any host but localhost.
type SMTP struct {
	// Host and Port name the mail server (submission: port 587).
	Host string
	Port int
	// Username and Password sign in; empty Username: no sign-in.
	Username, Password string
	// From is the sender, an address with an optional display name:
	// "通办 <noreply@example.gov.cn>".
	From string
	// TLS configures STARTTLS; nil verifies the server's certificate for
	// Host against the system's roots.
	TLS *tls.Config
	// Hostname is this client's name in EHLO; default "localhost".
	Hostname string
}

// Send delivers one message. A refusal the server reports as permanent
// (a 5xx reply) and an invalid recipient address are [Permanent] errors;
// errors never contain the recipient's address.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return Permanent(errors.New("email: the recipient address is not valid"))
	}
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return Permanent(fmt.Errorf("email: sender address: %w", err))
	}
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", net.JoinHostPort(s.Host, strconv.Itoa(s.Port)))
	if err != nil {
		return fmt.Errorf("email: connect: %w", err)
	}
	// A slow or silent server must not hold the delivery beyond its
	// timeout: closing the connection ends any pending read or write.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		conn.Close()
		return classifySMTP("greeting", err)
	}
	defer c.Close()
	hostname := s.Hostname
	if hostname == "" {
		hostname = "localhost"
	}
	if err := c.Hello(hostname); err != nil {
		return classifySMTP("EHLO", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := &tls.Config{}
		if s.TLS != nil {
			cfg = s.TLS.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = s.Host
		}
		if err := c.StartTLS(cfg); err != nil {
			return classifySMTP("STARTTLS", err)
		}
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, s.Host)); err != nil {
			return classifySMTP("AUTH", err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return classifySMTP("MAIL FROM", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return classifySMTP("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return classifySMTP("DATA", err)
	}
	if _, err := w.Write(composeEmail(from, to, m, time.Now())); err != nil {
		return classifySMTP("DATA", err)
	}
	if err := w.Close(); err != nil {
		return classifySMTP("DATA", err)
	}
	return classifySMTP("QUIT", c.Quit())
}

// classifySMTP names the step that failed and marks the server's permanent
// refusals (5xx) as permanent. The server's text may quote the address;
// the Deliverer scrubs it before storing or logging.
func classifySMTP(step string, err error) error {
	if err == nil {
		return nil
	}
	err = fmt.Errorf("email: %s: %w", step, err)
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return Permanent(err)
	}
	return err
}

// composeEmail writes a plain-text UTF-8 message (RFC 5322, MIME) with a
// base64 body, so any text survives any mail server.
func composeEmail(from, to *mail.Address, m Message, now time.Time) []byte {
	var b strings.Builder
	header := func(k, v string) {
		// Header values come from the catalog and the platform's own
		// messages, but a line break must never start a new header.
		v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
		b.WriteString(k + ": " + v + "\r\n")
	}
	domain := "localhost"
	if _, d, ok := strings.Cut(from.Address, "@"); ok {
		domain = d
	}
	header("From", from.String())
	header("To", to.Address)
	header("Subject", mime.BEncoding.Encode("utf-8", m.Subject))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+db.NewID()+"@"+domain+">")
	header("Auto-Submitted", "auto-generated")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "base64")
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(m.Text))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return []byte(b.String())
}
