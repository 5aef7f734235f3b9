package main

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/sfbulk/sfsim"
)

// simInfo is the first line `navsync sim` prints on stdout.
type simInfo struct {
	InstanceURL  string `json:"instance_url"`
	LoginURL     string `json:"login_url"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	Username     string `json:"username"`
	OrgID        string `json:"org_id"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	// LeadAssignmentRuleID is the org's Lead assignment rule (--lead-assignment-rule).
	LeadAssignmentRuleID string `json:"lead_assignment_rule_id,omitempty"`
}

// runSim seeds a simulator org, serves it and prints how to reach it.
func runSim(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet("sim", env)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback unless --allow-remote)")
	size := fs.Int("size", 20000, "people (Contacts and Leads) of the generated world, as navsync fixtures --size")
	seed := fs.Int64("seed", 1, "seed of the generated world")
	world := fs.String("world", "", "load the org snapshot CSVs of `DIR`/crm/ instead of generating a world")
	faultSpec := fs.String("faults", "", "faults to inject, e.g. 'unavailable=0.05,lock=0.02,latency=20ms,drop=0.01,session-expiry=30s,bulk-fail=0.1'")
	allowRemote := fs.Bool("allow-remote", false, "allow a non-loopback listen address")
	baseURL := fs.String("base-url", "", "URL clients use to reach the server (default http://<listen address>)")
	sessionTimeout := fs.Duration("session-timeout", 2*time.Hour, "access token lifetime")
	dailyLimit := fs.Int("daily-api-limit", 15000, "the org's daily API request limit")
	perUserLimit := fs.Int("per-user-daily-limit", 0, "each user's daily API request limit (0: none)")
	jwtKey := fs.String("jwt-key", "", "PEM RSA private key `FILE` whose certificate the connected app holds for the JWT bearer flow (default: generated)")
	dupRules := fs.Bool("duplicate-rules", false, "turn on the standard Contact and Lead duplicate rules")
	refreshTTL := fs.Duration("refresh-token-ttl", 0, "expire refresh tokens this long after issue (0: valid until revoked)")
	lockIP := fs.Bool("lock-sessions-to-ip", false, "bind access tokens to the address that got them")
	leadRule := fs.String("lead-assignment-rule", "", "give the org an active Lead assignment rule assigning every Lead to `USER` (a username, a user id, or 'queue' for a Lead Queue user the simulator adds); REST writes without 'Sforce-Auto-Assign: FALSE' run it")
	writeConfig := fs.String("write-config", "", "write a navsync config `FILE` that signs in to this simulator (token store and secret beside it, 0600) and names the world's Sales Navigator exports")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *world != "" && (set["seed"] || set["size"]) {
		return usagef("sim: --world loads a snapshot; it cannot be combined with --seed or --size")
	}
	if *size < 0 {
		return usagef("sim: --size must not be negative")
	}
	faults, err := sfsim.ParseFaults(*faultSpec)
	if err != nil {
		return usagef("sim: --faults: %v", err)
	}
	if !*allowRemote && !loopbackAddr(*addr) {
		return usagef("sim: refusing to listen on non-loopback address %q without --allow-remote", *addr)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("sim: listen: %w", err)
	}
	defer ln.Close()
	base := strings.TrimRight(*baseURL, "/")
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	var key *rsa.PrivateKey
	if *jwtKey != "" {
		if key, err = readRSAKey(*jwtKey); err != nil {
			return badInput(fmt.Errorf("sim: --jwt-key: %w", err))
		}
	}
	srv, err := sfsim.New(sfsim.Options{Logger: env.log, Faults: faults, BaseURL: base, SessionTimeout: *sessionTimeout,
		DailyAPILimit: *dailyLimit, PerUserDailyLimit: *perUserLimit, JWTKey: key, DuplicateRules: *dupRules,
		RefreshTokenTTL: *refreshTTL, LockSessionsToIP: *lockIP, LeadAssignmentRule: *leadRule})
	if errors.Is(err, sfsim.ErrLeadAssignmentRule) {
		return usagef("sim: --lead-assignment-rule: %v", err)
	}
	if err != nil {
		return err
	}
	defer srv.Close()
	var generated *fixtures.World // for --write-config
	if *world != "" {
		if err := srv.LoadDir(filepath.Join(*world, "crm")); err != nil {
			return badInput(fmt.Errorf("sim: %w", err))
		}
	} else {
		w, err := fixtures.Generate(fixtures.Options{Seed: *seed, People: *size})
		if err != nil {
			return fmt.Errorf("sim: generate world: %w", err)
		}
		if err := seedSimWorld(srv, w); err != nil {
			return fmt.Errorf("sim: %w", err)
		}
		generated = w
	}
	if err := checkRuleUser(srv, *leadRule); err != nil {
		return badInput(fmt.Errorf("sim: --lead-assignment-rule: %w", err))
	}
	admin := srv.AdminUser()
	access, refresh, err := srv.IssueToken(admin.Username)
	if err != nil {
		return err
	}
	app := srv.ConnectedApp()
	if *writeConfig != "" {
		if err := writeSimConfig(ctx, *writeConfig, simConfig{loginURL: base, orgID: srv.OrgID(), clientID: app.ClientID,
			clientSecret: app.ClientSecret, username: admin.Username, refreshToken: refresh, world: generated, worldDir: *world, srv: srv}); err != nil {
			return err
		}
		env.log.Info("config written", "path", *writeConfig)
	}
	line, err := json.Marshal(simInfo{InstanceURL: base, LoginURL: base, AccessToken: access, RefreshToken: refresh,
		Username: admin.Username, OrgID: srv.OrgID(), ClientID: app.ClientID, ClientSecret: app.ClientSecret,
		LeadAssignmentRuleID: srv.LeadAssignmentRuleID()})
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(env.stdout, "%s\n", line); err != nil {
		return fmt.Errorf("sim: write stdout: %w", err)
	}
	env.log.Info("simulator org serving", "addr", ln.Addr().String(), "contacts", srv.Count("Contact"),
		"leads", srv.Count("Lead"), "accounts", srv.Count("Account"), "users", srv.Count("User"), "faults", faults.String())

	if err := srv.Serve(ctx, ln); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	env.log.Info("simulator org stopped", "faults_injected", fmt.Sprint(srv.FaultCounts()))
	return nil
}

// checkRuleUser checks that the user a --lead-assignment-rule names is in
// the org once its world is loaded, so the rule cannot fail every Lead write.
func checkRuleUser(srv *sfsim.Server, rule string) error {
	if rule == "" || rule == sfsim.LeadQueue {
		return nil
	}
	u, ok := srv.LookupUser(rule)
	if !ok {
		rec, found := srv.Get("User", rule)
		if !found {
			return errors.New("no such user in the org")
		}
		u.IsActive = rec["IsActive"] == "true"
	}
	if !u.IsActive {
		return errors.New("the user is inactive")
	}
	return nil
}

// readRSAKey reads a PEM RSA private key (PKCS #1 or PKCS #8).
func readRSAKey(path string) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("no PEM block")
	}
	if k, err := x509.ParsePKCS1PrivateKey(blk.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	return rk, nil
}

// loopbackAddr reports whether a listen address only accepts local clients.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
