package sfbulk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Revoke revokes a token at Salesforce: POST {LoginURL}/services/oauth2/revoke
// with token=… (form-encoded). Revoking a refresh token also ends the
// access tokens minted from it, and frees one of the user's approvals of
// the connected app (at most 5 per user per app). Network failures and
// 5xx answers are retried per cfg.Retry (revoking twice does no harm).
//
// A token Salesforce does not know (already revoked, expired, or of
// another org) is answered 400: Revoke then returns an *AuthError with
// Flow "revoke" and Code "invalid_token" (or Salesforce's code).
func Revoke(ctx context.Context, cfg OAuthConfig, token string) error {
	if err := cfg.check(); err != nil {
		return err
	}
	if token == "" {
		return errors.New("revoke: empty token")
	}
	p := cfg.Retry.withDefaults()
	for attempt := 1; ; attempt++ {
		err := revokeOnce(ctx, cfg, token)
		if err == nil || attempt >= p.MaxAttempts || !retryableAuth(err) || ctx.Err() != nil {
			if err != nil {
				return fmt.Errorf("revoke token: %w", err)
			}
			return nil
		}
		if err := sleep(ctx, p.Backoff(attempt, 0)); err != nil {
			return err
		}
	}
}

func revokeOnce(ctx context.Context, cfg OAuthConfig, token string) error {
	form := url.Values{"token": {token}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.base()+"/services/oauth2/revoke", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := cfg.httpClient().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &tokenTransportError{err: err, netErr: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return &tokenTransportError{err: err, netErr: err}
	}
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &e)
	code, desc := e.Error, e.Description
	if code == "" {
		code = fmt.Sprintf("http_%d", resp.StatusCode)
		if resp.StatusCode >= 500 {
			desc = http.StatusText(resp.StatusCode) // a gateway's HTML page says no more
		}
	}
	hint := ""
	switch {
	case resp.StatusCode >= 500:
		hint = unavailableHint
	case code == "invalid_token" || code == "unsupported_token_type":
		hint = "Salesforce does not know this token: it was already revoked, has expired, or belongs to another org"
	}
	return &AuthError{Flow: "revoke", HTTPStatus: resp.StatusCode, Code: code, Description: desc, Hint: hint}
}
