package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/navsync/navsync/internal/sfid"
)

func TestSimUsageErrors(t *testing.T) {
	cases := [][]string{
		{"--addr", "0.0.0.0:0"},
		{"--addr", ":8080"},
		{"--faults", "explode=1"},
		{"--world", "x", "--seed", "3"},
		{"extra"},
	}
	for _, args := range cases {
		env := &cmdEnv{stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.DiscardHandler)}
		err := runSim(context.Background(), env, args)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("sim %v: %v, want a usage error", args, err)
		}
	}
}

func TestSimServesWorldDirUntilCancelled(t *testing.T) {
	dir := t.TempDir()
	crm := filepath.Join(dir, "crm")
	if err := os.MkdirAll(crm, 0o755); err != nil {
		t.Fatal(err)
	}
	user := sfid.New(sfid.User, "3t", 1)
	acc := sfid.New(sfid.Account, "3t", 1)
	files := map[string]string{
		"User.csv":    `"Id","Username","Email","FirstName","LastName","IsActive","ProfileId"` + "\n" + `"` + user + `","u@x.example","u@x.example","U","V","true","` + sfid.ProfileStandard + `"` + "\n",
		"Account.csv": `"Id","Name"` + "\n" + `"` + acc + `","Acme"` + "\n",
		"Contact.csv": `"Id","FirstName","LastName","AccountId","Account.Name","OwnerId"` + "\n" + `"` + sfid.New(sfid.Contact, "3t", 1) + `","Ann","Lee","` + acc + `","Acme","` + user + `"` + "\n",
	}
	for n, body := range files {
		if err := os.WriteFile(filepath.Join(crm, n), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pr, pw := io.Pipe()
	env := &cmdEnv{stdout: pw, stderr: io.Discard, log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- runSim(ctx, env, []string{"--world", dir, "--faults", "latency=1ms"}) }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var info map[string]string
	if err := json.Unmarshal([]byte(line), &info); err != nil {
		t.Fatalf("first line %q: %v", line, err)
	}
	for _, k := range []string{"instance_url", "login_url", "access_token", "username", "org_id", "client_id"} {
		if info[k] == "" {
			t.Errorf("first line lacks %s: %s", k, line)
		}
	}
	if !strings.HasPrefix(info["access_token"], info["org_id"][:15]+"!") || !strings.HasPrefix(info["instance_url"], "http://127.0.0.1:") {
		t.Errorf("first line %s", line)
	}
	req, _ := http.NewRequest("GET", info["instance_url"]+"/services/data/v62.0/query?q=SELECT+Id,Account.Name+FROM+Contact", nil)
	req.Header.Set("Authorization", "Bearer "+info["access_token"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `"totalSize":1`) || !strings.Contains(string(body), `"Name":"Acme"`) {
		t.Errorf("query: %d %s", res.StatusCode, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("runSim after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("runSim did not stop")
	}
}

func TestSimBadWorldIsBadInput(t *testing.T) {
	dir := t.TempDir()
	_ = os.MkdirAll(filepath.Join(dir, "crm"), 0o755)
	_ = os.WriteFile(filepath.Join(dir, "crm", "Contact.csv"), []byte("LastName,Shoe_Size__c\nX,9\n"), 0o600)
	env := &cmdEnv{stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.DiscardHandler)}
	err := runSim(context.Background(), env, []string{"--world", dir})
	var ie *inputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "Shoe_Size__c") || !strings.Contains(err.Error(), "Contact.csv") {
		t.Errorf("bad world: %v", err)
	}
}

func TestSimJWTKeyFile(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "key.pem")
	_ = os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600)
	got, err := readRSAKey(path)
	if err != nil || !got.Equal(key) {
		t.Fatalf("readRSAKey: %v", err)
	}
	_ = os.WriteFile(path, []byte("not pem"), 0o600)
	if _, err := readRSAKey(path); err == nil {
		t.Error("garbage key accepted")
	}
	env := &cmdEnv{stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.DiscardHandler)}
	err = runSim(context.Background(), env, []string{"--jwt-key", path, "--size", "10"})
	var ie *inputError
	if !errors.As(err, &ie) {
		t.Errorf("bad --jwt-key: %v", err)
	}
}

// TestSimGeneratedWorld seeds the world `navsync fixtures --size 200`
// writes and checks the org holds it: every person, and the users with
// their profiles (one of them inactive).
func TestSimGeneratedWorld(t *testing.T) {
	pr, pw := io.Pipe()
	env := &cmdEnv{stdout: pw, stderr: io.Discard, log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runSim(ctx, env, []string{"--size", "200", "--seed", "3"}) }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var info map[string]string
	if err := json.Unmarshal([]byte(line), &info); err != nil {
		t.Fatal(err)
	}
	count := func(soql string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", info["instance_url"]+"/services/data/v62.0/query?q="+url.QueryEscape(soql), nil)
		req.Header.Set("Authorization", "Bearer "+info["access_token"])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body struct {
			TotalSize int `json:"totalSize"`
		}
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != 200 {
			t.Fatalf("%s: %d %v", soql, res.StatusCode, err)
		}
		return body.TotalSize
	}
	if n := count("SELECT COUNT() FROM Contact") + count("SELECT COUNT() FROM Lead"); n != 200 {
		t.Errorf("people %d, want 200", n)
	}
	if count("SELECT COUNT() FROM User WHERE IsActive = false") < 1 || count("SELECT COUNT() FROM User WHERE Profile.Name = 'Read Only'") < 1 {
		t.Error("generated users lack an inactive or a read-only user")
	}
	if count("SELECT COUNT() FROM Contact WHERE AccountId != null AND Account.Name = null") != 0 {
		t.Error("contacts point at accounts that were not loaded")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("runSim: %v", err)
	}
}

// TestSimLeadAssignmentRule: with --lead-assignment-rule the org reassigns
// a Lead updated without Sforce-Auto-Assign: FALSE, and keeps its owner
// with it.
func TestSimLeadAssignmentRule(t *testing.T) {
	for _, args := range [][]string{{"--lead-assignment-rule", "nobody"}, {"--lead-assignment-rule", sfid.New(sfid.Account, "3t", 1)}} {
		env := &cmdEnv{stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.DiscardHandler)}
		var ue *usageError
		if err := runSim(context.Background(), env, args); !errors.As(err, &ue) {
			t.Errorf("sim %v: %v, want a usage error", args, err)
		}
	}
	env := &cmdEnv{stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.DiscardHandler)}
	var ie *inputError
	if err := runSim(context.Background(), env, []string{"--size", "20", "--lead-assignment-rule", "nobody@example.com"}); !errors.As(err, &ie) {
		t.Errorf("a rule naming no user of the world: %v, want bad input", err)
	}

	pr, pw := io.Pipe()
	env = &cmdEnv{stdout: pw, stderr: io.Discard, log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runSim(ctx, env, []string{"--size", "200", "--seed", "3", "--lead-assignment-rule", "queue"})
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var info map[string]string
	if err := json.Unmarshal([]byte(line), &info); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(info["lead_assignment_rule_id"], "01Q") {
		t.Errorf("lead_assignment_rule_id %q", info["lead_assignment_rule_id"])
	}
	call := func(method, path, body string, hdr ...string) []byte {
		t.Helper()
		req, _ := http.NewRequest(method, info["instance_url"]+"/services/data/v62.0"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+info["access_token"])
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, b)
		}
		return b
	}
	var q struct {
		Records []struct{ Id, OwnerId string }
	}
	queue := "SELECT Id FROM User WHERE Username = 'lead-queue@navsync-sim.example.com'"
	if err := json.Unmarshal(call("GET", "/query?q="+url.QueryEscape(queue), ""), &q); err != nil || len(q.Records) != 1 {
		t.Fatalf("Lead Queue user: %v %v", err, q)
	}
	queueID := q.Records[0].Id
	if err := json.Unmarshal(call("GET", "/query?q="+url.QueryEscape("SELECT Id, OwnerId FROM Lead WHERE IsConverted = false LIMIT 1"), ""), &q); err != nil || len(q.Records) != 1 {
		t.Fatalf("lead: %v %v", err, q)
	}
	lead, owner := q.Records[0].Id, q.Records[0].OwnerId
	ownerNow := func() string {
		var r struct{ OwnerId string }
		if err := json.Unmarshal(call("GET", "/sobjects/Lead/"+lead, ""), &r); err != nil {
			t.Fatal(err)
		}
		return r.OwnerId
	}
	call("PATCH", "/sobjects/Lead/"+lead, `{"Title":"CTO"}`, "Sforce-Auto-Assign", "FALSE")
	if got := ownerNow(); got != owner {
		t.Errorf("update with Sforce-Auto-Assign: FALSE moved the lead from %s to %s", owner, got)
	}
	call("PATCH", "/sobjects/Lead/"+lead, `{"Title":"CEO"}`)
	if got := ownerNow(); got != queueID {
		t.Errorf("update without the header: owner %s, want the Lead Queue %s", got, queueID)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("runSim: %v", err)
	}
}
