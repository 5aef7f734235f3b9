package htmltest

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// ParseFile parses the HTML file at path.
func ParseFile(t testing.TB, path string) *html.Node {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := html.Parse(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc
}

// ByID is the first element under n (n included) with the id, nil if none.
func ByID(n *html.Node, id string) *html.Node {
	if n.Type == html.ElementNode && Attr(n, "id") == id {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if m := ByID(c, id); m != nil {
			return m
		}
	}
	return nil
}

// Find returns the elements under n (n included) with tag and, when kv
// holds a key and a value, that attribute, in document order.
func Find(n *html.Node, tag string, kv ...string) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag && (len(kv) < 2 || Attr(n, kv[0]) == kv[1]) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

// Attr is n's attribute key ("" when it has none).
func Attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// Text is the text under n, runs of white space made one space.
func Text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// Section is the text of the element with id in the HTML file at path,
// blanks folded ("" when there is none).
func Section(t testing.TB, path, id string) string {
	t.Helper()
	n := ByID(ParseFile(t, path), id)
	if n == nil {
		return ""
	}
	return Text(n)
}

// QueueRows are the review queue's pairs (lead id, CRM id) of the
// report.html at path, as its script reads them from the navsync-data
// element.
func QueueRows(t testing.TB, path string) [][2]string {
	t.Helper()
	n := ByID(ParseFile(t, path), "navsync-data")
	if n == nil {
		t.Fatalf("%s has no navsync-data", path)
	}
	var data struct {
		Rows [][2]string `json:"rows"`
	}
	var raw strings.Builder // as written: folding blanks would change values
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		raw.WriteString(c.Data)
	}
	if err := json.Unmarshal([]byte(raw.String()), &data); err != nil {
		t.Fatalf("%s: navsync-data: %v", path, err)
	}
	return data.Rows
}
