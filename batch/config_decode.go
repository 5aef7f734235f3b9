package batch

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// parse decodes a YAML document onto Defaults(). It parses into a yaml.Node
// and walks it against Config's yaml tags itself, instead of yaml's
// KnownFields decoding, so that every unknown key, duplicate key, wrongly
// typed value and inline secret is reported (not only the first), each with
// its key path and line.
func parse(data []byte) (*Config, []Problem) {
	c := Defaults()
	c.lines = map[string]int{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) {
		return c, nil // an empty file: Validate says what is missing
	}
	if err != nil {
		return c, []Problem{syntaxProblem(err)}
	}
	var probs []Problem
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		probs = append(probs, Problem{Line: extra.Line, Msg: "a second YAML document ('---'): a config is one document",
			Hint: "remove the '---' line and everything after it, or merge the two"})
	} else if !errors.Is(err, io.EOF) {
		probs = append(probs, syntaxProblem(err))
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return c, probs
		}
		root = root.Content[0]
	}
	d := &nodeDecoder{lines: c.lines}
	d.decode(root, reflect.ValueOf(c).Elem(), "")
	return c, append(probs, d.probs...)
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): `)

// syntaxProblem turns a YAML parse error into a problem with its line.
func syntaxProblem(err error) Problem {
	msg := err.Error()
	p := Problem{Msg: "not valid YAML: " + strings.TrimPrefix(msg, "yaml: "),
		Hint: "indent with spaces (not tabs), and quote values that contain ': ' or start with '@', '*', '&', '!' or '%'"}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Msg = "not valid YAML: " + msg[len(m[0]):]
	}
	return p
}

type nodeDecoder struct {
	probs []Problem
	lines map[string]int
}

func (d *nodeDecoder) add(key string, line int, msg, hint string) {
	d.probs = append(d.probs, Problem{Key: key, Line: line, Msg: msg, Hint: hint})
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// kindName says what a node is, for "want X, got Y" messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return strconv.Quote(clip(n.Value))
	}
	return "something else"
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// decode sets v from n; path is n's key path.
func (d *nodeDecoder) decode(n *yaml.Node, v reflect.Value, path string) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if isNull(n) {
		return // "key:" with no value keeps the default
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.add(path, n.Line, "want a single value, got "+kindName(n), "")
			return
		}
		v.SetString(n.Value)
	case reflect.Int:
		var x int
		if n.Kind != yaml.ScalarNode || n.Decode(&x) != nil {
			d.add(path, n.Line, "want a whole number, got "+kindName(n), "write digits only, e.g. 10000")
			return
		}
		v.SetInt(int64(x))
	case reflect.Float64:
		var x float64
		if n.Kind != yaml.ScalarNode || n.Decode(&x) != nil {
			d.add(path, n.Line, "want a number, got "+kindName(n), "e.g. 0.95")
			return
		}
		v.SetFloat(x)
	case reflect.Bool:
		var x bool
		if n.Kind != yaml.ScalarNode || n.Decode(&x) != nil {
			d.add(path, n.Line, "want true or false, got "+kindName(n), "")
			return
		}
		v.SetBool(x)
	default:
		panic("batch: config field of unsupported kind " + v.Kind().String())
	}
}

func (d *nodeDecoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	elem := v.Type().Elem()
	items := n.Content
	switch {
	case n.Kind == yaml.SequenceNode:
	case n.Kind == yaml.ScalarNode && elem.Kind() == reflect.String:
		items = []*yaml.Node{n} // "leads: a.csv" is a list of one
	default:
		d.add(path, n.Line, "want a list, got "+kindName(n), "one entry per line, each starting with '- '")
		return
	}
	out := reflect.MakeSlice(v.Type(), 0, len(items))
	for i, it := range items {
		p := fmt.Sprintf("%s[%d]", path, i)
		d.lines[p] = it.Line
		e := reflect.New(elem).Elem()
		if isNull(it) {
			d.add(p, it.Line, "empty list entry", "remove the lone '-'")
			continue
		}
		d.decode(it, e, p)
		out = reflect.Append(out, e)
	}
	v.Set(out)
}

// yamlFields maps a struct's yaml keys to field indexes, in field order.
func yamlFields(t reflect.Type) (keys []string, index map[string]int) {
	index = map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || name == "" {
			continue
		}
		keys = append(keys, name)
		index[name] = i
	}
	return keys, index
}

func (d *nodeDecoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		what := "the settings"
		if path != "" {
			what = "the keys of " + path
		}
		d.add(path, n.Line, "want a mapping ("+what+"), got "+kindName(n), "")
		return
	}
	keys, index := yamlFields(v.Type())
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		key := kn.Value
		p := joinKey(path, key)
		if kn.Kind != yaml.ScalarNode {
			d.add(path, kn.Line, "a key must be a plain name", "")
			continue
		}
		if first, dup := seen[key]; dup {
			d.add(p, kn.Line, fmt.Sprintf("set twice (first at line %d)", first), "keep one of them")
			continue
		}
		seen[key] = kn.Line
		fi, ok := index[key]
		if !ok {
			msg, hint := unknownKey(key, keys)
			if to, moved := movedKeys[p]; moved {
				msg, hint = fmt.Sprintf("%s is now %s", p, to), fmt.Sprintf("write it as %s (same values)", to)
			}
			d.add(p, kn.Line, msg, hint)
			continue
		}
		d.lines[p] = kn.Line
		d.decode(vn, v.Field(fi), p)
	}
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// movedKeys are keys of earlier builds by their path, with the key that
// took their place.
var movedKeys = map[string]string{
	// One switch for query and ingest jobs since the extract deletes its
	// query jobs too.
	"writeback.delete_ingest_jobs": "salesforce.delete_bulk_jobs",
}

// secretHints are keys that would put a secret into the file.
var secretHints = map[string]string{
	"client_secret":   "put the consumer secret in an environment variable named by salesforce.auth.client_secret_env, or in a file (mode 0600) named by salesforce.auth.client_secret_file",
	"consumer_secret": "put the consumer secret in an environment variable named by salesforce.auth.client_secret_env, or in a file (mode 0600) named by salesforce.auth.client_secret_file",
	"secret":          "put the consumer secret in an environment variable named by salesforce.auth.client_secret_env, or in a file (mode 0600) named by salesforce.auth.client_secret_file",
	"access_token":    "tokens live in the token store (salesforce.auth.token_store), written by the one-time consent; with the jwt flow no token is stored",
	"refresh_token":   "tokens live in the token store (salesforce.auth.token_store), written by the one-time consent; with the jwt flow no token is stored",
	"token":           "tokens live in the token store (salesforce.auth.token_store), written by the one-time consent; with the jwt flow no token is stored",
	"session_id":      "tokens live in the token store (salesforce.auth.token_store), written by the one-time consent; with the jwt flow no token is stored",
	"private_key":     "put the PEM key in a file (mode 0600) and name it in salesforce.auth.private_key_file",
	"password":        "navsync never signs in with a password: use flow jwt (a key file) or refresh_token (a token store)",
	"security_token":  "navsync never signs in with a password and security token: use flow jwt (a key file) or refresh_token (a token store)",
	"api_key":         "navsync reads no API keys from its config; secrets come from environment variables or files",
}

// unknownKey explains a key that is not a setting.
func unknownKey(key string, valid []string) (msg, hint string) {
	if h, ok := secretHints[strings.ToLower(key)]; ok {
		return "secrets are never written in the config file", h
	}
	if key == "<<" {
		return "YAML merge keys are not supported", "write the keys out"
	}
	best, bestD := "", 3
	for _, v := range valid {
		if dd := editDistance(strings.ToLower(key), v); dd < bestD {
			best, bestD = v, dd
		}
	}
	if best != "" {
		return fmt.Sprintf("unknown key %q", key), fmt.Sprintf("did you mean %q?", best)
	}
	return fmt.Sprintf("unknown key %q", key), "known keys here: " + strings.Join(valid, ", ")
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// keyPaths lists every key path of t's yaml tags (lists as path[]), for
// tests and the example's completeness check.
func keyPaths(t reflect.Type, prefix string) []string {
	var out []string
	keys, index := yamlFields(t)
	for _, k := range keys {
		f := t.Field(index[k])
		p := joinKey(prefix, k)
		ft := f.Type
		if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct {
			out = append(out, p)
			out = append(out, keyPaths(ft.Elem(), p+"[]")...)
			continue
		}
		if ft.Kind() == reflect.Struct {
			out = append(out, keyPaths(ft, p)...)
			continue
		}
		out = append(out, p)
	}
	return slices.Clip(out)
}
