package sfsim

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/navsync/navsync/internal/sfid"
)

// The recorded describes, limits and identity answers (MIT, see schema/README.md).
//
//go:embed schema/*.json
var recordings embed.FS

// Field types of describe.
const (
	tID        = "id"
	tString    = "string"
	tEmail     = "email"
	tPhone     = "phone"
	tURL       = "url"
	tTextarea  = "textarea"
	tPicklist  = "picklist"
	tMulti     = "multipicklist"
	tReference = "reference"
	tBoolean   = "boolean"
	tInt       = "int"
	tDouble    = "double"
	tCurrency  = "currency"
	tPercent   = "percent"
	tDate      = "date"
	tDatetime  = "datetime"
	tAddress   = "address"
	tCombobox  = "combobox"
)

// PicklistValue is one entry of a field's picklistValues.
type PicklistValue struct {
	Value, Label string
	Active       bool
	Default      bool
}

// Field is one field of an object as describe reports it, with the flags the
// simulator enforces.
type Field struct {
	Name, Label, Type  string
	Length             int
	Nillable           bool
	Createable         bool
	Updateable         bool
	DefaultedOnCreate  bool
	ExternalID         bool
	Unique             bool
	Custom             bool
	IDLookup           bool
	NameField          bool
	RestrictedPicklist bool
	CaseSensitive      bool
	DefaultValue       string // default for picklists and booleans ("" = none)
	Picklist           []PicklistValue
	ReferenceTo        []string
	RelationshipName   string

	index   int  // position in Object.Fields
	derived bool // computed on read (Name, SystemModstamp, compound addresses)
	raw     map[string]any
}

// Required reports whether describe makes the field required on create:
// createable, not nillable, not defaulted, not a boolean.
func (f *Field) Required() bool {
	return f.Createable && !f.Nillable && !f.DefaultedOnCreate && f.Type != tBoolean
}

func (f *Field) isText() bool {
	switch f.Type {
	case tString, tEmail, tPhone, tURL, tTextarea, tPicklist, tMulti, tCombobox:
		return true
	}
	return false
}

func (f *Field) isNumber() bool {
	return f.Type == tInt || f.Type == tDouble || f.Type == tCurrency || f.Type == tPercent
}

// Object is one sObject type of the simulator org.
type Object struct {
	Name, Label, LabelPlural, KeyPrefix string
	Createable, Updateable, Deletable   bool
	Fields                              []*Field

	byName    map[string]*Field // lower-case name → field
	byRel     map[string]*Field // lower-case relationship name → reference field
	nameField *Field
	raw       map[string]any // top-level describe keys other than fields

	iFirst, iLast, iLastMod int // indexes of FirstName, LastName, LastModifiedDate (-1: none)
}

// Field returns the named field (case-insensitive) or nil.
func (o *Object) Field(name string) *Field { return o.byName[strings.ToLower(name)] }

// addressParts returns the component fields of a compound address field:
// Street, City, State, PostalCode, Country, Latitude, Longitude,
// GeocodeAccuracy (nil where the object has none).
func (o *Object) addressParts(f *Field) [8]*Field {
	prefix := strings.TrimSuffix(f.Name, "Address")
	var out [8]*Field
	for i, n := range []string{"Street", "City", "State", "PostalCode", "Country", "Latitude", "Longitude", "GeocodeAccuracy"} {
		out[i] = o.Field(prefix + n)
	}
	return out
}

// Relationship returns the reference field whose relationshipName is name
// (case-insensitive), or nil.
func (o *Object) Relationship(name string) *Field { return o.byRel[strings.ToLower(name)] }

func (o *Object) finish() {
	o.byName = make(map[string]*Field, len(o.Fields))
	o.byRel = map[string]*Field{}
	for i, f := range o.Fields {
		f.index = i
		o.byName[strings.ToLower(f.Name)] = f
		if f.Type == tReference && f.RelationshipName != "" {
			o.byRel[strings.ToLower(f.RelationshipName)] = f
		}
		if f.NameField && o.nameField == nil {
			o.nameField = f
		}
		if f.Type == tAddress || f.Name == "SystemModstamp" || (f.Name == "Name" && !f.Createable && (o.Name == "Contact" || o.Name == "Lead" || o.Name == "User")) {
			f.derived = true
		}
	}
	if o.nameField == nil {
		o.nameField = o.byName["name"]
	}
	o.iFirst, o.iLast, o.iLastMod = -1, -1, -1
	if f := o.byName["firstname"]; f != nil {
		o.iFirst = f.index
	}
	if f := o.byName["lastname"]; f != nil {
		o.iLast = f.index
	}
	if f := o.byName["lastmodifieddate"]; f != nil {
		o.iLastMod = f.index
	}
}

// rawField renders the field's describe entry.
func (f *Field) describe() map[string]any {
	m := make(map[string]any, len(f.raw)+4)
	for k, v := range f.raw {
		m[k] = v
	}
	pv := make([]any, 0, len(f.Picklist))
	for _, p := range f.Picklist {
		pv = append(pv, map[string]any{"active": p.Active, "defaultValue": p.Default, "label": p.Label, "validFor": nil, "value": p.Value})
	}
	m["picklistValues"] = pv
	m["restrictedPicklist"] = f.RestrictedPicklist
	m["externalId"] = f.ExternalID
	m["unique"] = f.Unique
	return m
}

// schema is the set of objects of one simulator org.
type schema struct {
	objects map[string]*Object // lower-case name
	order   []string
	byPref  map[string]*Object
}

func (s *schema) object(name string) *Object { return s.objects[strings.ToLower(name)] }

func (s *schema) add(o *Object) {
	o.finish()
	s.objects[strings.ToLower(o.Name)] = o
	s.order = append(s.order, o.Name)
	s.byPref[o.KeyPrefix] = o
}

// newSchema builds the org's objects: Contact and Account from the recorded
// describes, the rest hand-written with the flags of salesforce-api.md §6.
func newSchema() (*schema, error) {
	s := &schema{objects: map[string]*Object{}, byPref: map[string]*Object{}}
	tmplTop, tmplField, err := templates()
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"Account", "Contact"} {
		o, err := loadRecorded(name)
		if err != nil {
			return nil, err
		}
		if name == "Contact" {
			o.Fields = append(o.Fields, customFields(tmplField)...)
		}
		s.add(o)
	}
	for _, spec := range handWritten() {
		s.add(spec.build(tmplTop, tmplField))
	}
	// Contact.OwnerId and Account.OwnerId already exist; Lead gains the two custom fields.
	lead := s.object("Lead")
	lead.Fields = append(lead.Fields, customFields(tmplField)...)
	lead.finish()
	sort.Strings(s.order)
	return s, nil
}

func customFields(tmpl map[string]any) []*Field {
	ext := buildField(tmpl, fspec{name: "Sales_Navigator_Lead_Id__c", label: "Sales Navigator Lead Id", typ: tString, length: 255, flags: "CUNXQK"})
	url := buildField(tmpl, fspec{name: "LinkedIn_Profile_URL__c", label: "LinkedIn Profile URL", typ: tURL, length: 255, flags: "CUNK"})
	return []*Field{ext, url}
}

func templates() (top, field map[string]any, err error) {
	b, err := recordings.ReadFile("schema/Contact.describe.json")
	if err != nil {
		return nil, nil, fmt.Errorf("read recording: %w", err)
	}
	var d map[string]any
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, nil, fmt.Errorf("parse recording: %w", err)
	}
	for _, f := range d["fields"].([]any) {
		fm := f.(map[string]any)
		if fm["name"] == "Email" {
			field = fm
		}
	}
	delete(d, "fields")
	delete(d, "childRelationships")
	return d, field, nil
}

func loadRecorded(name string) (*Object, error) {
	b, err := recordings.ReadFile("schema/" + name + ".describe.json")
	if err != nil {
		return nil, fmt.Errorf("read %s describe: %w", name, err)
	}
	var d map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("parse %s describe: %w", name, err)
	}
	o := &Object{
		Name: name, Label: str(d["label"]), LabelPlural: str(d["labelPlural"]), KeyPrefix: str(d["keyPrefix"]),
		Createable: d["createable"] == true, Updateable: d["updateable"] == true, Deletable: d["deletable"] == true,
	}
	for _, fa := range d["fields"].([]any) {
		fm := fa.(map[string]any)
		n, _ := fm["length"].(json.Number).Int64()
		f := &Field{
			Name: str(fm["name"]), Label: str(fm["label"]), Type: str(fm["type"]), Length: int(n),
			Nillable: fm["nillable"] == true, Createable: fm["createable"] == true, Updateable: fm["updateable"] == true,
			DefaultedOnCreate: fm["defaultedOnCreate"] == true, ExternalID: fm["externalId"] == true, Unique: fm["unique"] == true,
			Custom: fm["custom"] == true, IDLookup: fm["idLookup"] == true, NameField: fm["nameField"] == true,
			RestrictedPicklist: fm["restrictedPicklist"] == true, CaseSensitive: fm["caseSensitive"] == true,
			RelationshipName: str(fm["relationshipName"]), raw: fm,
		}
		if dv, ok := fm["defaultValue"].(bool); ok && f.Type == tBoolean {
			f.DefaultValue = fmt.Sprint(dv)
		}
		for _, r := range fm["referenceTo"].([]any) {
			f.ReferenceTo = append(f.ReferenceTo, str(r))
		}
		for _, pa := range fm["picklistValues"].([]any) {
			pm := pa.(map[string]any)
			f.Picklist = append(f.Picklist, PicklistValue{Value: str(pm["value"]), Label: str(pm["label"]), Active: pm["active"] == true, Default: pm["defaultValue"] == true})
		}
		o.Fields = append(o.Fields, f)
	}
	delete(d, "fields")
	o.raw = d
	return o, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// fspec is a compact hand-written field: flags C createable, U updateable,
// N nillable, D defaulted on create, X external id, Q unique, K custom,
// L id lookup, M name field.
type fspec struct {
	name, label, typ string
	length           int
	flags            string
	ref              string // referenceTo (one object) / relationship name after ':'
	pick             []string
	def              string
	restricted       bool
}

func buildField(tmpl map[string]any, s fspec) *Field {
	has := func(c byte) bool { return strings.IndexByte(s.flags, c) >= 0 }
	f := &Field{
		Name: s.name, Label: s.label, Type: s.typ, Length: s.length,
		Createable: has('C'), Updateable: has('U'), Nillable: has('N'), DefaultedOnCreate: has('D'),
		ExternalID: has('X'), Unique: has('Q'), Custom: has('K'), IDLookup: has('L') || has('X') || s.typ == tID, NameField: has('M'),
		RestrictedPicklist: s.restricted, DefaultValue: s.def,
	}
	if f.Label == "" {
		f.Label = s.name
	}
	if s.ref != "" {
		to, rel, _ := strings.Cut(s.ref, ":")
		f.ReferenceTo = strings.Split(to, "|")
		f.RelationshipName = rel
	}
	for _, v := range s.pick {
		f.Picklist = append(f.Picklist, PicklistValue{Value: v, Label: v, Active: true, Default: v == s.def})
	}
	raw := make(map[string]any, len(tmpl))
	for k, v := range tmpl {
		raw[k] = v
	}
	soap := "xsd:string"
	byteLen := s.length * 3
	switch s.typ {
	case tID, tReference:
		soap, byteLen = "tns:ID", 18
	case tBoolean:
		soap, byteLen = "xsd:boolean", 0
	case tInt:
		soap, byteLen = "xsd:int", 0
	case tDouble, tCurrency, tPercent:
		soap, byteLen = "xsd:double", 0
	case tDate:
		soap, byteLen = "xsd:date", 0
	case tDatetime:
		soap, byteLen = "xsd:dateTime", 0
	case tAddress:
		soap, byteLen = "urn:address", 0
	}
	refTo := make([]any, 0, len(f.ReferenceTo))
	for _, r := range f.ReferenceTo {
		refTo = append(refTo, r)
	}
	var rel any
	if f.RelationshipName != "" {
		rel = f.RelationshipName
	}
	var dv any
	if s.typ == tBoolean {
		dv = s.def == "true"
	}
	digits := 0
	if s.typ == tInt {
		digits = 9
	}
	for k, v := range map[string]any{
		"name": s.name, "label": f.Label, "type": s.typ, "length": s.length, "byteLength": byteLen,
		"createable": f.Createable, "updateable": f.Updateable, "nillable": f.Nillable, "defaultedOnCreate": f.DefaultedOnCreate,
		"custom": f.Custom, "idLookup": f.IDLookup, "nameField": f.NameField, "soapType": soap, "referenceTo": refTo,
		"relationshipName": rel, "defaultValue": dv, "digits": digits, "permissionable": f.Nillable && f.Createable,
		"caseSensitive": false, "groupable": s.typ != tTextarea, "sortable": s.typ != tTextarea, "filterable": s.typ != tTextarea,
		"aggregatable": s.typ != tTextarea && s.typ != tBoolean,
	} {
		raw[k] = v
	}
	f.raw = raw
	return f
}

type ospec struct {
	name, label, plural, prefix string
	createable, updateable      bool
	deletable                   bool
	fields                      []fspec
}

func (s ospec) build(top, tmpl map[string]any) *Object {
	o := &Object{Name: s.name, Label: s.label, LabelPlural: s.plural, KeyPrefix: s.prefix,
		Createable: s.createable, Updateable: s.updateable, Deletable: s.deletable}
	for _, fs := range s.fields {
		o.Fields = append(o.Fields, buildField(tmpl, fs))
	}
	raw := make(map[string]any, len(top))
	for k, v := range top {
		raw[k] = v
	}
	base := "/services/data/v40.0/sobjects/" + s.name
	raw["name"], raw["label"], raw["labelPlural"], raw["keyPrefix"] = s.name, s.label, s.plural, s.prefix
	raw["createable"], raw["updateable"], raw["deletable"] = s.createable, s.updateable, s.deletable
	raw["mergeable"], raw["undeletable"], raw["searchable"] = false, s.deletable, s.name != "Organization" && s.name != "Profile"
	raw["supportedScopes"] = []any{map[string]any{"label": "All " + strings.ToLower(s.plural), "name": "everything"}}
	raw["recordTypeInfos"] = []any{map[string]any{"available": true, "defaultRecordTypeMapping": true, "master": true, "name": "Master",
		"recordTypeId": "012000000000000AAA", "urls": map[string]any{"layout": base + "/describe/layouts/012000000000000AAA"}}}
	raw["urls"] = map[string]any{
		"compactLayouts": base + "/describe/compactLayouts", "rowTemplate": base + "/{ID}",
		"approvalLayouts": base + "/describe/approvalLayouts", "uiDetailTemplate": "https://na88.salesforce.com/{ID}",
		"uiEditTemplate": "https://na88.salesforce.com/{ID}/e", "defaultValues": base + "/defaultValues?recordTypeId&fields",
		"listviews": base + "/listviews", "describe": base + "/describe", "uiNewRecord": "https://na88.salesforce.com/" + s.prefix + "/e",
		"quickActions": base + "/quickActions", "layouts": base + "/describe/layouts", "sobject": base,
	}
	o.raw = raw
	return o
}

// Default picklists (salesforce-api.md §3).
var (
	leadSources   = []string{"Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"}
	leadStatuses  = []string{"Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted"}
	ocrRoles      = []string{"Business User", "Decision Maker", "Economic Buyer", "Economic Decision Maker", "Evaluator", "Executive Sponsor", "Influencer", "Technical Buyer", "Other"}
	stages        = []string{"Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost"}
	industries    = []string{"Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications", "Construction", "Consulting", "Education", "Electronics", "Energy", "Engineering", "Entertainment", "Environmental", "Finance", "Food & Beverage", "Government", "Healthcare", "Hospitality", "Insurance", "Machinery", "Manufacturing", "Media", "Not For Profit", "Recreation", "Retail", "Shipping", "Technology", "Telecommunications", "Transportation", "Utilities", "Other"}
	salutations   = []string{"Mr.", "Ms.", "Mrs.", "Dr.", "Prof."}
	ratings       = []string{"Hot", "Warm", "Cold"}
	orgTypes      = []string{"Developer Edition"}
	userTypes     = []string{"Standard", "PowerPartner", "CsnOnly", "Guest"}
	timeZones     = []string{"America/Los_Angeles", "America/New_York", "Europe/London", "Europe/Paris", "GMT", "Asia/Tokyo"}
	locales       = []string{"en_US", "en_GB", "fr_FR", "de_DE", "ja_JP"}
	languages     = []string{"en_US", "fr", "de", "ja"}
	emailEncoding = []string{"UTF-8", "ISO-8859-1"}
)

func auditFields(owner bool) []fspec {
	f := []fspec{}
	if owner {
		f = append(f, fspec{name: "OwnerId", label: "Owner ID", typ: tReference, length: 18, flags: "CUD", ref: "User:Owner"})
	}
	return append(f,
		fspec{name: "IsDeleted", label: "Deleted", typ: tBoolean, flags: "D", def: "false"},
		fspec{name: "CreatedDate", label: "Created Date", typ: tDatetime, flags: "D"},
		fspec{name: "CreatedById", label: "Created By ID", typ: tReference, length: 18, flags: "D", ref: "User:CreatedBy"},
		fspec{name: "LastModifiedDate", label: "Last Modified Date", typ: tDatetime, flags: "D"},
		fspec{name: "LastModifiedById", label: "Last Modified By ID", typ: tReference, length: 18, flags: "D", ref: "User:LastModifiedBy"},
		fspec{name: "SystemModstamp", label: "System Modstamp", typ: tDatetime, flags: "D"},
	)
}

func idField(label string) fspec {
	return fspec{name: "Id", label: label, typ: tID, length: 18, flags: "DL"}
}

func handWritten() []ospec {
	lead := ospec{name: "Lead", label: "Lead", plural: "Leads", prefix: sfid.Lead, createable: true, updateable: true, deletable: true,
		fields: []fspec{
			idField("Lead ID"),
			{name: "LastName", label: "Last Name", typ: tString, length: 80, flags: "CU"},
			{name: "FirstName", label: "First Name", typ: tString, length: 40, flags: "CUN"},
			{name: "Salutation", label: "Salutation", typ: tPicklist, length: 40, flags: "CUN", pick: salutations},
			{name: "Name", label: "Full Name", typ: tString, length: 121, flags: "M"},
			{name: "Title", label: "Title", typ: tString, length: 128, flags: "CUN"},
			{name: "Company", label: "Company", typ: tString, length: 255, flags: "CU"},
			{name: "Street", label: "Street", typ: tTextarea, length: 255, flags: "CUN"},
			{name: "City", label: "City", typ: tString, length: 40, flags: "CUN"},
			{name: "State", label: "State/Province", typ: tString, length: 80, flags: "CUN"},
			{name: "PostalCode", label: "Zip/Postal Code", typ: tString, length: 20, flags: "CUN"},
			{name: "Country", label: "Country", typ: tString, length: 80, flags: "CUN"},
			{name: "Address", label: "Address", typ: tAddress, flags: "N"},
			{name: "Phone", label: "Phone", typ: tPhone, length: 40, flags: "CUN"},
			{name: "MobilePhone", label: "Mobile Phone", typ: tPhone, length: 40, flags: "CUN"},
			{name: "Email", label: "Email", typ: tEmail, length: 80, flags: "CUNL"},
			{name: "Website", label: "Website", typ: tURL, length: 255, flags: "CUN"},
			{name: "Description", label: "Description", typ: tTextarea, length: 32000, flags: "CUN"},
			{name: "LeadSource", label: "Lead Source", typ: tPicklist, length: 40, flags: "CUN", pick: leadSources},
			{name: "Status", label: "Status", typ: tPicklist, length: 40, flags: "CUD", pick: leadStatuses, def: "Open - Not Contacted", restricted: true},
			{name: "Industry", label: "Industry", typ: tPicklist, length: 40, flags: "CUN", pick: industries},
			{name: "Rating", label: "Rating", typ: tPicklist, length: 40, flags: "CUN", pick: ratings},
			{name: "NumberOfEmployees", label: "Employees", typ: tInt, flags: "CUN"},
			{name: "IsConverted", label: "Converted", typ: tBoolean, flags: "D", def: "false"},
			{name: "ConvertedDate", label: "Converted Date", typ: tDate, flags: "N"},
			{name: "ConvertedAccountId", label: "Converted Account ID", typ: tReference, length: 18, flags: "N", ref: "Account:ConvertedAccount"},
			{name: "ConvertedContactId", label: "Converted Contact ID", typ: tReference, length: 18, flags: "N", ref: "Contact:ConvertedContact"},
			{name: "ConvertedOpportunityId", label: "Converted Opportunity ID", typ: tReference, length: 18, flags: "N", ref: "Opportunity:ConvertedOpportunity"},
			{name: "IsUnreadByOwner", label: "Unread By Owner", typ: tBoolean, flags: "CUD", def: "false"},
		}}
	lead.fields = append(lead.fields, auditFields(true)...)

	user := ospec{name: "User", label: "User", plural: "Users", prefix: sfid.User, createable: true, updateable: true,
		fields: []fspec{
			idField("User ID"),
			{name: "Username", label: "Username", typ: tString, length: 80, flags: "CUQL"},
			{name: "LastName", label: "Last Name", typ: tString, length: 80, flags: "CU"},
			{name: "FirstName", label: "First Name", typ: tString, length: 40, flags: "CUN"},
			{name: "Name", label: "Full Name", typ: tString, length: 121, flags: "M"},
			{name: "Alias", label: "Alias", typ: tString, length: 8, flags: "CU"},
			{name: "Email", label: "Email", typ: tEmail, length: 128, flags: "CU"},
			{name: "IsActive", label: "Active", typ: tBoolean, flags: "CUD", def: "true"},
			{name: "ProfileId", label: "Profile ID", typ: tReference, length: 18, flags: "CU", ref: "Profile:Profile"},
			{name: "UserType", label: "User Type", typ: tPicklist, length: 40, flags: "DN", pick: userTypes, def: "Standard"},
			{name: "Title", label: "Title", typ: tString, length: 80, flags: "CUN"},
			{name: "CompanyName", label: "Company Name", typ: tString, length: 80, flags: "CUN"},
			{name: "TimeZoneSidKey", label: "Time Zone", typ: tPicklist, length: 40, flags: "CU", pick: timeZones, restricted: true},
			{name: "LocaleSidKey", label: "Locale", typ: tPicklist, length: 40, flags: "CU", pick: locales, restricted: true},
			{name: "LanguageLocaleKey", label: "Language", typ: tPicklist, length: 40, flags: "CU", pick: languages, restricted: true},
			{name: "EmailEncodingKey", label: "Email Encoding", typ: tPicklist, length: 40, flags: "CU", pick: emailEncoding, restricted: true},
			{name: "LastLoginDate", label: "Last Login", typ: tDatetime, flags: "N"},
			{name: "CreatedDate", label: "Created Date", typ: tDatetime, flags: "D"},
			{name: "CreatedById", label: "Created By ID", typ: tReference, length: 18, flags: "D", ref: "User:CreatedBy"},
			{name: "LastModifiedDate", label: "Last Modified Date", typ: tDatetime, flags: "D"},
			{name: "LastModifiedById", label: "Last Modified By ID", typ: tReference, length: 18, flags: "D", ref: "User:LastModifiedBy"},
			{name: "SystemModstamp", label: "System Modstamp", typ: tDatetime, flags: "D"},
		}}

	opp := ospec{name: "Opportunity", label: "Opportunity", plural: "Opportunities", prefix: sfid.Opportunity, createable: true, updateable: true, deletable: true,
		fields: []fspec{
			idField("Opportunity ID"),
			{name: "AccountId", label: "Account ID", typ: tReference, length: 18, flags: "CUN", ref: "Account:Account"},
			{name: "Name", label: "Name", typ: tString, length: 120, flags: "CUM"},
			{name: "Description", label: "Description", typ: tTextarea, length: 32000, flags: "CUN"},
			{name: "StageName", label: "Stage", typ: tPicklist, length: 255, flags: "CU", pick: stages, restricted: true},
			{name: "Amount", label: "Amount", typ: tCurrency, flags: "CUN"},
			{name: "Probability", label: "Probability (%)", typ: tPercent, flags: "CUND"},
			{name: "CloseDate", label: "Close Date", typ: tDate, flags: "CU"},
			{name: "Type", label: "Opportunity Type", typ: tPicklist, length: 40, flags: "CUN", pick: []string{"Existing Customer - Upgrade", "Existing Customer - Replacement", "Existing Customer - Downgrade", "New Customer"}},
			{name: "LeadSource", label: "Lead Source", typ: tPicklist, length: 40, flags: "CUN", pick: leadSources},
			{name: "IsClosed", label: "Closed", typ: tBoolean, flags: "D", def: "false"},
			{name: "IsWon", label: "Won", typ: tBoolean, flags: "D", def: "false"},
		}}
	opp.fields = append(opp.fields, auditFields(true)...)

	ocr := ospec{name: "OpportunityContactRole", label: "Opportunity Contact Role", plural: "Opportunity Contact Role", prefix: sfid.OpportunityContactRole, createable: true, updateable: true, deletable: true,
		fields: []fspec{
			idField("Opportunity Contact Role ID"),
			{name: "OpportunityId", label: "Opportunity ID", typ: tReference, length: 18, flags: "C", ref: "Opportunity:Opportunity"},
			{name: "ContactId", label: "Contact ID", typ: tReference, length: 18, flags: "CU", ref: "Contact:Contact"},
			{name: "Role", label: "Role", typ: tPicklist, length: 40, flags: "CUN", pick: ocrRoles},
			{name: "IsPrimary", label: "Primary", typ: tBoolean, flags: "CUD", def: "false"},
		}}
	ocr.fields = append(ocr.fields, auditFields(false)...)

	org := ospec{name: "Organization", label: "Organization", plural: "Organizations", prefix: sfid.Organization, updateable: false,
		fields: []fspec{
			idField("Organization ID"),
			{name: "Name", label: "Name", typ: tString, length: 80, flags: "UM"},
			{name: "Division", label: "Division", typ: tString, length: 80, flags: "UN"},
			{name: "Country", label: "Country", typ: tString, length: 80, flags: "UN"},
			{name: "InstanceName", label: "Instance Name", typ: tString, length: 5, flags: "N"},
			{name: "IsSandbox", label: "Is Sandbox", typ: tBoolean, flags: "D", def: "false"},
			{name: "TrialExpirationDate", label: "Trial Expiration Date", typ: tDatetime, flags: "N"},
			{name: "NamespacePrefix", label: "Namespace Prefix", typ: tString, length: 15, flags: "N"},
			{name: "OrganizationType", label: "Edition", typ: tPicklist, length: 40, flags: "N", pick: orgTypes},
			{name: "LanguageLocaleKey", label: "Locale", typ: tPicklist, length: 40, flags: "U", pick: languages},
			{name: "DefaultLocaleSidKey", label: "Default Locale", typ: tPicklist, length: 40, flags: "U", pick: locales},
			{name: "TimeZoneSidKey", label: "Default Time Zone", typ: tPicklist, length: 40, flags: "U", pick: timeZones},
			{name: "CreatedDate", label: "Created Date", typ: tDatetime, flags: "D"},
			{name: "CreatedById", label: "Created By ID", typ: tReference, length: 18, flags: "D", ref: "User:CreatedBy"},
			{name: "LastModifiedDate", label: "Last Modified Date", typ: tDatetime, flags: "D"},
			{name: "LastModifiedById", label: "Last Modified By ID", typ: tReference, length: 18, flags: "D", ref: "User:LastModifiedBy"},
			{name: "SystemModstamp", label: "System Modstamp", typ: tDatetime, flags: "D"},
		}}

	profile := ospec{name: "Profile", label: "Profile", plural: "Profiles", prefix: sfid.Profile,
		fields: []fspec{
			idField("Profile ID"),
			{name: "Name", label: "Name", typ: tString, length: 255, flags: "M"},
			{name: "Description", label: "Description", typ: tString, length: 255, flags: "N"},
			{name: "UserType", label: "User Type", typ: tPicklist, length: 40, flags: "N", pick: userTypes},
			{name: "PermissionsApiEnabled", label: "API Enabled", typ: tBoolean, flags: "D", def: "false"},
			{name: "PermissionsModifyAllData", label: "Modify All Data", typ: tBoolean, flags: "D", def: "false"},
			{name: "PermissionsViewSetup", label: "View Setup and Configuration", typ: tBoolean, flags: "D", def: "false"},
			{name: "CreatedDate", label: "Created Date", typ: tDatetime, flags: "D"},
			{name: "CreatedById", label: "Created By ID", typ: tReference, length: 18, flags: "D", ref: "User:CreatedBy"},
			{name: "LastModifiedDate", label: "Last Modified Date", typ: tDatetime, flags: "D"},
			{name: "LastModifiedById", label: "Last Modified By ID", typ: tReference, length: 18, flags: "D", ref: "User:LastModifiedBy"},
			{name: "SystemModstamp", label: "System Modstamp", typ: tDatetime, flags: "D"},
		}}
	return []ospec{lead, user, opp, ocr, org, profile}
}
