//go:build tools

// Package tools pins the project's dependencies in go.mod before every one
// of them is imported by real code, so `go mod tidy` keeps them.
package tools

import (
	_ "github.com/apache/arrow-go/v18/arrow"
	_ "github.com/apache/arrow-go/v18/parquet/compress"
	_ "github.com/apache/arrow-go/v18/parquet/file"
	_ "github.com/apache/arrow-go/v18/parquet/pqarrow"
	_ "github.com/k-capehart/go-salesforce/v3"
	_ "github.com/nyaruka/phonenumbers"
	_ "github.com/robfig/cron/v3"
	_ "github.com/schollz/progressbar/v3"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/net/publicsuffix"
	_ "golang.org/x/oauth2"
	_ "golang.org/x/oauth2/jwt"
	_ "golang.org/x/sync/errgroup"
	_ "golang.org/x/text/runes"
	_ "golang.org/x/text/transform"
	_ "golang.org/x/text/unicode/norm"
	_ "modernc.org/sqlite"
)
