package sfbulk

import (
	"strconv"
	"strings"
)

// LimitInfo is the parsed `Sforce-Limit-Info` header:
// `api-usage=18/5000` optionally followed by `; per-app-api-usage=17/250(appName=x)`.
type LimitInfo struct {
	Used, Max       int
	AppUsed, AppMax int
	AppName         string
}

// ParseLimitInfo parses a Sforce-Limit-Info header value. ok is false when
// the api-usage part is missing or malformed.
func ParseLimitInfo(h string) (li LimitInfo, ok bool) {
	for part := range strings.SplitSeq(h, ";") {
		key, val, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			continue
		}
		switch strings.TrimSpace(key) {
		case "api-usage":
			u, m, good := parseRatio(val)
			if good {
				li.Used, li.Max, ok = u, m, true
			}
		case "per-app-api-usage":
			ratio, rest, _ := strings.Cut(val, "(")
			if u, m, good := parseRatio(ratio); good {
				li.AppUsed, li.AppMax = u, m
			}
			if name, found := strings.CutPrefix(strings.TrimSuffix(rest, ")"), "appName="); found {
				li.AppName = name
			}
		}
	}
	return li, ok
}

func parseRatio(s string) (used, max int, ok bool) {
	a, b, found := strings.Cut(strings.TrimSpace(s), "/")
	if !found {
		return 0, 0, false
	}
	u, err1 := strconv.Atoi(strings.TrimSpace(a))
	m, err2 := strconv.Atoi(strings.TrimSpace(b))
	if err1 != nil || err2 != nil || u < 0 || m < 0 {
		return 0, 0, false
	}
	return u, m, true
}

// Usage is what one client has seen and spent.
type Usage struct {
	UserID string
	// Calls is the number of HTTP requests this client sent to the instance
	// (every attempt counts), plus Config.CallsToday.
	Calls int64
	// Budget is Config.UserDailyBudget (0: none).
	Budget int64
	// Org is the latest Sforce-Limit-Info seen (zero until the first response).
	Org LimitInfo
	// Retries counts retried attempts; Refreshes counts token refreshes after a 401.
	Retries, Refreshes int64
}

// Limit is one entry of GET /limits.
type Limit struct {
	Max       int `json:"Max"`
	Remaining int `json:"Remaining"`
}
