package sfbulk

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestTokenValueNeverPrintsSecrets: a Token printed or logged by value, in
// any verb, inside slices, maps and structs, shows neither token (only
// *Token redacted; fmt printed a value's fields, access and refresh token
// included). JSON, which the token store writes, still carries them.
func TestTokenValueNeverPrintsSecrets(t *testing.T) {
	tok := Token{AccessToken: "00Dsecret!ARaccess", RefreshToken: "5Aepsecretrefresh", InstanceURL: "https://acme.my.salesforce.com",
		ID: "https://login.salesforce.com/id/00D/005", IssuedAt: time.Unix(1700000000, 0).UTC(), Scope: "api", Username: "u@example.com"}
	leaks := func(s string) bool {
		for _, secret := range []string{"secret", hex.EncodeToString([]byte("secret")), strings.ToUpper(hex.EncodeToString([]byte("secret")))} {
			if strings.Contains(s, secret) {
				return true
			}
		}
		return false
	}
	type holder struct {
		Tok Token
		Ptr *Token
	}
	values := map[string]any{
		"value":       tok,
		"pointer":     &tok,
		"slice":       []Token{tok},
		"map":         map[string]Token{"a": tok},
		"struct":      holder{Tok: tok, Ptr: &tok},
		"pointer ptr": &holder{Tok: tok},
	}
	for name, val := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.4v", "%-8s", "%T"} {
			if s := fmt.Sprintf(verb, val); leaks(s) {
				t.Errorf("%s with %s: %s", name, verb, s)
			}
		}
		if s := fmt.Sprint(val) + fmt.Sprintln(val); leaks(s) {
			t.Errorf("%s with Sprint: %s", name, s)
		}
	}
	if s := fmt.Sprintf("%v", tok); !strings.Contains(s, "https://acme.my.salesforce.com") || !strings.Contains(s, "<redacted>") {
		t.Errorf("%%v = %s, want the instance and the tokens redacted", s)
	}
	if s := fmt.Sprintf("%#v", tok); !strings.HasPrefix(s, "sfbulk.Token{") || !strings.Contains(s, `AccessToken:"<redacted>"`) {
		t.Errorf("%%#v = %s, want Go syntax with the tokens redacted", s)
	}
	if s := fmt.Sprintf("%v", Token{}); !strings.Contains(s, `access=""`) {
		t.Errorf("empty token %%v = %s, want its empty tokens shown as empty", s)
	}
	if s := fmt.Sprintf("%v|%s", (*Token)(nil), (*Token)(nil)); s != "<nil>|<nil>" {
		t.Errorf("nil *Token printed %q", s)
	}

	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var b bytes.Buffer
		log := slog.New(h(&b))
		log.Info("token", "value", tok, "pointer", &tok, slog.Any("any", tok), slog.Group("g", "tok", tok))
		if name == "text" {
			// The JSON handler encodes other values with encoding/json,
			// the token store's format, which carries the tokens.
			log.Info("holder", "h", holder{Tok: tok}, "slice", []Token{tok})
		}
		if leaks(b.String()) {
			t.Errorf("slog: %s", b.String())
		}
		if !strings.Contains(b.String(), "acme.my.salesforce.com") {
			t.Errorf("slog lost the instance: %s", b.String())
		}
	}

	// The token store's JSON keeps both tokens.
	if b, err := json.Marshal(tok); err != nil || !strings.Contains(string(b), "5Aepsecretrefresh") || !strings.Contains(string(b), "00Dsecret!ARaccess") {
		t.Errorf("JSON %s %v, want both tokens", b, err)
	}
}
