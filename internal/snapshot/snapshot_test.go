package snapshot

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestObjects(t *testing.T) {
	objs := Objects(nil)
	var names []string
	for _, o := range objs {
		names = append(names, o.Name)
		if o.File() != File(o.Name) || o.File() != o.Name+".csv" {
			t.Errorf("%s: file %q", o.Name, o.File())
		}
		for _, r := range o.Required {
			if !slices.Contains(o.Fields, r) {
				t.Errorf("%s: required column %s is not queried", o.Name, r)
			}
		}
		if len(o.Fields) == 0 || o.Fields[0] != "Id" || o.Required[0] != "Id" {
			t.Errorf("%s: Id is not the first field and required column", o.Name)
		}
		for _, f := range o.Where {
			if !slices.Contains(o.Fields, f.Field) {
				t.Errorf("%s: filter on %s, which is not queried", o.Name, f.Field)
			}
		}
		wb := o.Name == Contact || o.Name == Lead
		if has := slices.Contains(o.Fields, DefaultLeadIDField) && slices.Contains(o.Fields, DefaultProfileURLField); has != wb {
			t.Errorf("%s: writeback fields present %v, want %v", o.Name, has, wb)
		}
		if wb && !slices.Equal(o.Fields[len(o.Fields)-2:], DefaultWritebackFields()) {
			t.Errorf("%s: the writeback fields are not last: %q", o.Name, o.Fields)
		}
		if o.Optional != (o.Name == User || o.Name == Opportunity) {
			t.Errorf("%s: optional %v", o.Name, o.Optional)
		}
	}
	if want := []string{Contact, Lead, Account, Opportunity, User}; !slices.Equal(names, want) {
		t.Errorf("objects %q, want %q", names, want)
	}
	for obj, f := range map[string]string{Contact: FileContact, Lead: FileLead, Account: FileAccount, Opportunity: FileOpportunity, User: FileUser} {
		if File(obj) != f {
			t.Errorf("File(%s) = %q, constant %q", obj, File(obj), f)
		}
	}
	if o, ok := ObjectNamed(Opportunity, nil); !ok || len(o.Where) != 1 || o.Where[0] != (Filter{"IsClosed", false}) {
		t.Errorf("Opportunity: %+v %v", o, ok)
	}
	if _, ok := ObjectNamed("Case", nil); ok {
		t.Error("ObjectNamed found Case")
	}
}

func TestObjectsWriteback(t *testing.T) {
	c, _ := ObjectNamed(Contact, []string{"x__c", "ownerid", "X__C", "Y__c"})
	if got := c.Fields[len(c.Fields)-2:]; !slices.Equal(got, []string{"x__c", "Y__c"}) || slices.Contains(c.Fields, DefaultLeadIDField) {
		t.Errorf("Contact fields %q", c.Fields)
	}
	a, _ := ObjectNamed(Account, []string{"x__c"})
	if slices.Contains(a.Fields, "x__c") {
		t.Error("writeback field on Account")
	}
	empty, _ := ObjectNamed(Lead, []string{})
	if slices.Contains(empty.Fields, DefaultLeadIDField) {
		t.Error("an empty (not nil) writeback list took the defaults")
	}
	// Every call gives new slices.
	a1, a2 := Objects(nil), Objects(nil)
	a1[0].Fields[0] = "changed"
	a1[0].Required[0] = "changed"
	d := DefaultWritebackFields()
	d[0] = "changed"
	if a2[0].Fields[0] != "Id" || Objects(nil)[0].Fields[0] != "Id" || Objects(nil)[0].Required[0] != "Id" || DefaultWritebackFields()[0] != DefaultLeadIDField {
		t.Error("Objects or DefaultWritebackFields share memory between calls")
	}
}

// The package is a leaf: batch, batch/input, fixtures and the simulator
// import it, so it imports the standard library only.
func TestLeaf(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if first, _, _ := strings.Cut(p, "/"); strings.Contains(first, ".") {
				t.Errorf("%s imports %s: the snapshot contract must stay a leaf package", f, p)
			}
		}
	}
}
