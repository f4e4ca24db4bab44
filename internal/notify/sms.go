package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// SMSGateway sends text messages through an HTTP gateway: each message is
// a POST of the JSON object {"to": phone, "text": text} to URL, with the
// header "Authorization: Bearer TOKEN". Any 2xx answer means accepted.
// Most SMS providers, and the government SMS platforms, put such a gateway
// in front of their own APIs.
type SMSGateway struct {
	URL   string
	Token string
	// Client sends the requests; default http.DefaultClient (the send's
	// context bounds each request).
	Client *http.Client
}

// Send posts one message. A 4xx answer other than 429 is a [Permanent]
// error; other failures are retried. Errors never contain the phone number
// or the gateway's answer, which might quote it.
func (g *SMSGateway) Send(ctx context.Context, m Message) error {
	body, err := json.Marshal(struct {
		To   string `json:"to"`
		Text string `json:"text"`
	}{m.To, m.Text})
	if err != nil {
		return Permanent(fmt.Errorf("sms: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL, bytes.NewReader(body))
	if err != nil {
		return Permanent(fmt.Errorf("sms: %w", err))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+g.Token)
	client := g.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("sms: gateway: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests:
		return Permanent(fmt.Errorf("sms: gateway refused the message: %s", resp.Status))
	}
	return fmt.Errorf("sms: gateway answered %s", resp.Status)
}
