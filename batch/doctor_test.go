package batch

import "testing"

// TestLoginHostKind: production, sandbox and simulator login hosts, My
// Domains with and without enhanced domains, and hosts it cannot tell.
func TestLoginHostKind(t *testing.T) {
	for in, want := range map[string]string{
		"https://login.salesforce.com":                  "production",
		"https://LOGIN.salesforce.com/":                 "production",
		"https://test.salesforce.com":                   "sandbox",
		"https://acme.my.salesforce.com":                "production",
		"https://acme-eu.my.salesforce.com":             "production",
		"https://acme--uat.sandbox.my.salesforce.com":   "sandbox",
		"https://acme--uat.my.salesforce.com":           "sandbox", // before enhanced domains
		"http://127.0.0.1:8080":                         "loopback",
		"http://localhost:1717":                         "loopback",
		"https://acme.my.site.com":                      "",
		"https://login.example.com":                     "",
		"https://acme.lightning.force.com":              "",
		"https://evil.com/login.salesforce.com":         "",
		"https://login.salesforce.com.evil.example.com": "",
	} {
		if got := loginHostKind(in); got != want {
			t.Errorf("loginHostKind(%q) = %q, want %q", in, got, want)
		}
	}
}
