package matcher

// This file is the contract between the matcher and its callers (navsync
// match, the batch job, the eval harness). Inputs are plain strings as read
// from files; the matcher normalises them itself.

// Person is a CRM Contact or Lead.
type Person struct {
	ID          string // Salesforce id
	Object      string // "Contact" or "Lead"
	FirstName   string
	LastName    string
	Email       string
	Phone       string
	MobilePhone string
	Company     string // Lead.Company, or Contact's Account.Name
	AccountID   string // Contact.AccountId ("" for Leads)
	Title       string
	Website     string // Lead.Website
	City        string
	State       string
	Country     string
	// Converted Leads are candidates too; the caller redirects writes to
	// ConvertedContactID.
	IsConverted        bool
	ConvertedContactID string
	ConvertedAccountID string
	// LinkedLeadID is the value of the configured Sales Navigator lead id
	// writeback field, when the record is already linked.
	LinkedLeadID string
}

// Account is a CRM Account.
type Account struct {
	ID         string
	Name       string
	Website    string
	Phone      string
	Street     string
	City       string
	State      string
	PostalCode string
	Country    string
	Employees  int // 0 when unknown
	Industry   string
}

// Lead is one row of a Sales Navigator lead export.
type Lead struct {
	LeadID               string
	ProfileURL           string
	FirstName            string
	LastName             string
	Email                string
	Phone                string
	CurrentCompany       string
	CurrentCompanyDomain string // a domain or a website URL
	CurrentTitle         string
	PastCompanies        []string // most recent first
	PastTitles           []string // most recent first, aligned with PastCompanies where known
	City                 string
	State                string
	Country              string // a name or ISO 3166 alpha-2
	OwnerEmail           string
	LeadList             string
}

// Company is one row of a Sales Navigator account export.
type Company struct {
	AccountID    string
	Name         string
	Domain       string
	Website      string
	Phone        string
	Street       string
	City         string
	State        string
	PostalCode   string
	Country      string
	EmployeesMin int // from "51-200" or "120"; 0 when unknown
	EmployeesMax int
	Industry     string
	OwnerEmail   string
}

// Decision is the outcome for one lead or company.
type Decision string

const (
	DecisionMatch    Decision = "match"
	DecisionPossible Decision = "possible"
	DecisionNone     Decision = "none"
)

// FieldScore explains one compared field of the best pair.
type FieldScore struct {
	Field  string  // e.g. "email", "first_name", "domain"
	Level  string  // e.g. "exact", "fuzzy_strong", "fuzzy_weak", "nickname", "initial", "different", "missing"
	Weight float64 // log2 Bayes factor contributed by this field (after term-frequency adjustment)
}

// LeadFields are the compared fields of a lead pair, in report order: the
// report has a <field>_level and <field>_weight column for each.
var LeadFields = []string{"email", "phone", "first_name", "last_name", "current_company", "current_title", "past_company", "past_title"}

// CompanyFields are the compared fields of an account pair, in report order.
var CompanyFields = []string{"name", "domain", "website", "phone", "postal_code", "street", "state", "city", "employees", "industry"}

// LeadResult is the decision for one Sales Navigator lead.
type LeadResult struct {
	LeadID              string
	Decision            Decision
	CRMObject           string // "Contact" or "Lead"; "" when no candidate
	CRMID               string // best candidate (also set for possible; "" for none without candidate)
	Converted           bool   // CRMID is a converted Lead; write to ConvertedContactID instead
	ConvertedContactID  string
	Probability         float64
	MatchWeight         float64
	RunnerUpID          string
	RunnerUpProbability float64
	Fields              []FieldScore // one per LeadFields entry, same order
	BlockingKeys        []string     // names of the blocking keys that produced the best pair
	JobChange           bool         // the CRM record is at the lead's past company
	AccountID           string       // CRM Account matched for the lead's current company ("" if none)
	AccountProbability  float64
	Reason              string // short human explanation when not a match (e.g. "ambiguous", "runner-up too close", "one-to-one: taken by lead X")
}

// CompanyResult is the decision for one Sales Navigator account.
type CompanyResult struct {
	AccountID           string // Sales Navigator account_id
	Decision            Decision
	CRMAccountID        string
	Probability         float64
	MatchWeight         float64
	RunnerUpID          string
	RunnerUpProbability float64
	Fields              []FieldScore // one per CompanyFields entry, same order
	BlockingKeys        []string
	Reason              string
}

// Input is everything one matching run looks at.
type Input struct {
	People    []Person  // CRM Contacts and Leads
	Accounts  []Account // CRM Accounts
	Leads     []Lead    // Sales Navigator leads
	Companies []Company // Sales Navigator accounts (may be empty)
}

// BlockStats reports what one blocking key produced.
type BlockStats struct {
	Key           string
	Pairs         int64 // candidate pairs this key produced (before de-duplication across keys)
	Blocks        int64
	CappedBlocks  int64 // blocks larger than Options.MaxBlockSize, truncated
	CappedRecords int64 // CRM records left out of capped blocks
}

// Stats summarises a run for run.json and the stdout summary.
type Stats struct {
	CandidatePairs int64 // distinct pairs scored
	LeadBlocks     []BlockStats
	CompanyBlocks  []BlockStats
	Matches        int
	Possible       int
	None           int
}

// Result is the output of Match: one LeadResult per input lead and one
// CompanyResult per input company, in input order.
type Result struct {
	Leads     []LeadResult
	Companies []CompanyResult
	Stats     Stats
	// Overrides are Options.Overrides' pairs as scored (pinned, then
	// forbidden), nil without overrides.
	Overrides []PairScore
}
