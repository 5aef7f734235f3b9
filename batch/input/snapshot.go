package input

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/navsync/navsync/internal/snapshot"
	"github.com/navsync/navsync/matcher"
	"golang.org/x/sync/errgroup"
)

// User is a Salesforce User, for mapping Sales Navigator owners by email.
type User struct {
	ID       string
	Email    string
	Username string
	IsActive bool
}

// Opportunity is a Salesforce Opportunity (for contact roles).
type Opportunity struct {
	ID        string
	Name      string
	AccountID string
	StageName string
	CloseDate string // YYYY-MM-DD as exported
	IsClosed  bool
}

// SnapshotOptions names the writeback fields read from Lead.csv and
// Contact.csv when present, so records already linked are recognised.
type SnapshotOptions struct {
	LeadIDField     string // default snapshot.DefaultLeadIDField
	ProfileURLField string // default snapshot.DefaultProfileURLField
	// KeepFields are further columns of Contact.csv and Lead.csv whose
	// values are kept, as the file holds them, for the records that have
	// any (Snapshot.Kept): a run's plan compares the writeback fields'
	// current values without reading the files again. A column a file
	// lacks is read as empty.
	KeepFields []string
}

func (o SnapshotOptions) withDefaults() SnapshotOptions {
	if o.LeadIDField == "" {
		o.LeadIDField = snapshot.DefaultLeadIDField
	}
	if o.ProfileURLField == "" {
		o.ProfileURLField = snapshot.DefaultProfileURLField
	}
	return o
}

// Snapshot is the org as read from a folder of Bulk 2.0 CSV exports.
type Snapshot struct {
	People        []matcher.Person // Contacts, then Leads, in file order
	Accounts      []matcher.Account
	Users         []User        // empty when User.csv is absent
	Opportunities []Opportunity // empty when Opportunity.csv is absent
	// ProfileURLs maps a Person.ID to its profile URL writeback value, for
	// records whose lead id writeback field is empty (see LinkProfiles).
	ProfileURLs map[string]string
	// Kept holds the values of SnapshotOptions.KeepFields by person.
	Kept    Kept
	Rejects []Reject
	Files   []FileStat
}

// Kept holds the values of SnapshotOptions.KeepFields of the Contacts and
// Leads that had any: Values(i) gives People[i]'s in Fields order.
type Kept struct {
	Fields []string
	people []int32  // indexes into People, ascending
	values []string // len(Fields) values for each of people
}

// Values returns the values of People[i] in Fields order (an empty string
// for an empty or absent column), nil when it had none. The slice must not
// be changed.
func (k *Kept) Values(i int) []string {
	j, ok := slices.BinarySearch(k.people, int32(i))
	if !ok {
		return nil
	}
	n := len(k.Fields)
	return k.values[j*n : (j+1)*n : (j+1)*n]
}

// add appends the kept values of a file's rows, whose person indexes are
// offset by off.
func (k *Kept) add(from *Kept, off int) {
	for _, i := range from.people {
		k.people = append(k.people, i+int32(off))
	}
	k.values = append(k.values, from.values...)
}

// ReadSnapshot reads the files of the org snapshot contract (package
// internal/snapshot) from dir, in parallel: Contact.csv, Lead.csv and
// Account.csv (required) and User.csv and Opportunity.csv (optional), in
// that order. A missing required file or column is an ErrSchema error
// naming it; a bad row is a Reject. A Contact's company is its Account.Name
// column or, when that column is absent, the name of its AccountId in
// Account.csv.
func ReadSnapshot(ctx context.Context, dir string, opts SnapshotOptions) (*Snapshot, error) {
	opts = opts.withDefaults()
	type part struct {
		object string
		read   func(ctx context.Context, path string) (FileStat, []Reject, error)
	}
	snap := &Snapshot{}
	// Contacts and Leads are read in parallel into two regions of one
	// allocation sized by the lines of the files that can be rows
	// (countRows: blank lines and junk do not count), then joined with one
	// move of the Leads; the other files alongside.
	var (
		contacts, leads       []matcher.Person
		contactURLs, leadURLs map[string]string
		contactKept, leadKept = &Kept{Fields: opts.KeepFields}, &Kept{Fields: opts.KeepFields}
	)
	parts := []part{
		{snapshot.Contact, func(ctx context.Context, p string) (FileStat, []Reject, error) {
			return readPeople(ctx, p, snapshot.Contact, opts, &contacts, &contactURLs, contactKept, cap(contacts))
		}},
		{snapshot.Lead, func(ctx context.Context, p string) (FileStat, []Reject, error) {
			return readPeople(ctx, p, snapshot.Lead, opts, &leads, &leadURLs, leadKept, cap(leads))
		}},
		{snapshot.Account, func(ctx context.Context, p string) (FileStat, []Reject, error) {
			return readAccounts(ctx, p, &snap.Accounts)
		}},
		{snapshot.User, func(ctx context.Context, p string) (FileStat, []Reject, error) {
			return readUsers(ctx, p, &snap.Users)
		}},
		{snapshot.Opportunity, func(ctx context.Context, p string) (FileStat, []Reject, error) {
			return readOpportunities(ctx, p, &snap.Opportunities)
		}},
	}
	paths := make([]string, len(parts))
	for i, p := range parts {
		obj := contractObject(p.object)
		path, err := findFile(dir, obj.File())
		if err != nil {
			if obj.Optional && errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%s: file not found (the org snapshot needs it): %w: %w", filepath.Join(dir, obj.File()), ErrSchema, err)
			}
			return nil, err
		}
		paths[i] = path
	}
	nc, nl := rowBound(ctx, paths[0]), rowBound(ctx, paths[1])
	all := make([]matcher.Person, nc+nl)
	contacts, leads = all[:0:nc], all[nc:nc]
	stats := make([]FileStat, len(parts))
	rejects := make([][]Reject, len(parts))
	g, gctx := errgroup.WithContext(ctx)
	for i := range parts {
		if paths[i] == "" {
			continue
		}
		g.Go(func() error {
			st, rj, err := parts[i].read(gctx, paths[i])
			stats[i], rejects[i] = st, rj
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	snap.People = joinPeople(all, contacts, leads)
	if len(opts.KeepFields) > 0 {
		snap.Kept = Kept{Fields: opts.KeepFields}
		snap.Kept.add(contactKept, 0)
		snap.Kept.add(leadKept, len(contacts))
	}
	snap.ProfileURLs = contactURLs
	for k, v := range leadURLs {
		if snap.ProfileURLs == nil {
			snap.ProfileURLs = make(map[string]string, len(leadURLs))
		}
		snap.ProfileURLs[k] = v
	}
	for i := range parts {
		if paths[i] != "" {
			snap.Files = append(snap.Files, stats[i])
			snap.Rejects = append(snap.Rejects, rejects[i]...)
		}
	}
	fillContactCompanies(snap.People, snap.Accounts)
	return snap, nil
}

// contractObject is the snapshot contract's object of that name; its
// Fields hold the default writeback fields, which the reader does not use.
func contractObject(name string) snapshot.Object {
	o, ok := snapshot.ObjectNamed(name, nil)
	if !ok {
		panic("input: " + name + " is not an object of the org snapshot")
	}
	return o
}

// joinPeople returns contacts followed by leads. When both still live in
// all (contacts at its start, leads after the room given to contacts), the
// leads move down next to the contacts; when an estimate was short and one
// of them grew into a new array, they are copied into a new slice.
func joinPeople(all, contacts, leads []matcher.Person) []matcher.Person {
	inPlace := len(contacts) == 0 || (len(all) > 0 && &contacts[0] == &all[0])
	if len(leads) > 0 {
		off := cap(all) - cap(leads)
		inPlace = inPlace && off >= len(contacts) && off+len(leads) <= len(all) && &leads[0] == &all[off]
	}
	if !inPlace {
		out := make([]matcher.Person, 0, len(contacts)+len(leads))
		return append(append(out, contacts...), leads...)
	}
	n := copy(all[len(contacts):], leads)
	out := all[:len(contacts)+n]
	clear(all[len(out):]) // let the collector have what the moved leads left behind
	return out
}

// rowBound is the count of lines of a CSV file that can be rows (see
// countRows), 0 for a Parquet file or one that cannot be opened (the
// reader reports that).
func rowBound(ctx context.Context, path string) int {
	src, err := openSource(ctx, path)
	if err != nil {
		return 0
	}
	defer src.close()
	return src.rowBound()
}

// findFile finds name in dir, falling back to a case-insensitive match.
func findFile(dir, name string) (string, error) {
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	} else if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
		return "", err
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s: org snapshot folder not found: %w: %w", dir, ErrSchema, err)
		}
		if fi, serr := os.Stat(dir); serr == nil && !fi.IsDir() {
			return "", fmt.Errorf("%s is a file, not a folder: the org snapshot is a folder of CSV files: %w", dir, ErrSchema)
		}
		return "", err
	}
	for _, e := range ents {
		if !e.IsDir() && strings.EqualFold(e.Name(), name) {
			return filepath.Join(dir, e.Name()), nil
		}
	}
	return "", fs.ErrNotExist
}

// fillContactCompanies sets a Contact's Company from its Account when the
// export had no Account.Name column (or left it empty).
func fillContactCompanies(people []matcher.Person, accounts []matcher.Account) {
	var names map[string]string
	for i := range people {
		p := &people[i]
		if p.Object != snapshot.Contact || p.Company != "" || p.AccountID == "" {
			continue
		}
		if names == nil {
			names = make(map[string]string, len(accounts))
			for _, a := range accounts {
				names[a.ID] = a.Name
			}
		}
		p.Company = names[p.AccountID]
	}
}

// parseBool reads a Salesforce boolean: true/false (any case), 1/0, or
// empty (false).
func parseBool(b []byte) (bool, bool) {
	b = trimSpace(b)
	switch {
	case len(b) == 0, bytes.EqualFold(b, []byte("false")), string(b) == "0":
		return false, true
	case bytes.EqualFold(b, []byte("true")), string(b) == "1":
		return true, true
	}
	return false, false
}

// readPeople reads Contact.csv or Lead.csv, and into kept the values of
// opts.KeepFields of the rows that have any (by their index in dst).
// rows is the room made for them in dst, which the ids index gets too.
func readPeople(ctx context.Context, path, object string, opts SnapshotOptions, dst *[]matcher.Person, urls *map[string]string,
	kept *Kept, rows int) (FileStat, []Reject, error) {
	t := newStrtab()
	seen := newSeenIDs()
	seen.reserve(rows)
	var recID, refID sfIDs
	bind := func(c *columns) (*binding, error) {
		if _, err := c.need(contractObject(object).Required...); err != nil {
			return nil, err
		}
		var (
			id, first, last, email = c.col("Id"), c.col("FirstName"), c.col("LastName"), c.col("Email")
			phone                  = c.col("Phone")
			mobile                 = c.col("MobilePhone")
			title                  = c.col("Title")
			linkedID               = c.col(opts.LeadIDField)
			profileURL             = c.col(opts.ProfileURLField)

			company, account, accountName, website    int = -1, -1, -1, -1
			city, state, country                      int
			converted, convertedContact, convertedAcc int = -1, -1, -1
			keep                                          = make([]int, len(opts.KeepFields))
		)
		for k, name := range opts.KeepFields {
			keep[k] = c.col(name)
		}
		if object == snapshot.Contact {
			account = c.col("AccountId")
			accountName = c.col("Account.Name")
			city, state, country = c.col("MailingCity"), c.col("MailingState"), c.col("MailingCountry")
		} else {
			company = c.col("Company")
			website = c.col("Website")
			city, state, country = c.col("City"), c.col("State"), c.col("Country")
			converted = c.col("IsConverted")
			convertedContact = c.col("ConvertedContactId")
			convertedAcc = c.col("ConvertedAccountId")
		}
		var (
			iFirst       = t.interner()
			iLast        = t.interner()
			iCompany     = t.interner()
			iAccount     = t.interner()
			iTitle       = t.interner()
			iWebsite     = t.interner()
			iCity        = t.interner()
			iState       = t.interner()
			iCountry     = t.interner()
			iAccountName = t.interner()
		)
		return &binding{
			idCol: id, // no grow: ReadSnapshot sized dst and the ids index
			row: func(f [][]byte, line int, drop dropFunc) *rowReject {
				raw := trimSpace(f[id])
				if len(raw) == 0 {
					return &rowReject{reason: ReasonEmptyRecordID, detail: "Id is empty"}
				}
				if rj := badID(raw, "Id", ReasonInvalidRecID); rj != nil {
					return rj
				}
				isConv, ok := parseBool(get(f, converted))
				if !ok {
					drop("IsConverted", fmt.Sprintf("%q is not a boolean", trimSpace(get(f, converted))))
				}
				rids, dup := seen.add(recID.norm(raw), raw, path, line, t.str)
				if dup != "" {
					return &rowReject{id: string(raw), reason: ReasonDuplicateRecID, detail: dup}
				}
				p := matcher.Person{
					ID:                 rids,
					Object:             object,
					FirstName:          iFirst.get(f[first]),
					LastName:           iLast.get(f[last]),
					Email:              t.str(f[email]),
					Phone:              t.str(get(f, phone)),
					MobilePhone:        t.str(get(f, mobile)),
					Company:            iCompany.get(get(f, company)),
					AccountID:          iAccount.get(refID.norm(trimSpace(get(f, account)))),
					Title:              iTitle.get(get(f, title)),
					Website:            iWebsite.get(get(f, website)),
					City:               iCity.get(get(f, city)),
					State:              iState.get(get(f, state)),
					Country:            iCountry.get(get(f, country)),
					IsConverted:        isConv,
					ConvertedContactID: t.str(refID.norm(trimSpace(get(f, convertedContact)))),
					ConvertedAccountID: t.str(refID.norm(trimSpace(get(f, convertedAcc)))),
					LinkedLeadID:       t.str(get(f, linkedID)),
				}
				if object == snapshot.Contact {
					p.Company = iAccountName.get(get(f, accountName))
				}
				if p.LinkedLeadID == "" {
					if u := trimSpace(get(f, profileURL)); len(u) > 0 {
						if *urls == nil {
							*urls = make(map[string]string)
						}
						(*urls)[p.ID] = string(u)
					}
				}
				keepValues(kept, len(*dst), f, keep, linkedID, p.LinkedLeadID, t)
				*dst = append(*dst, p)
				return nil
			},
		}, nil
	}
	return scan(ctx, path, object, bind)
}

// keepValues adds to kept the values of the columns keep (-1: absent) of
// row f, the person at index i, when any is not empty. Values are kept as
// the file holds them; the lead id column's is shared with the person's
// LinkedLeadID (linked) when that is the same text.
func keepValues(kept *Kept, i int, f [][]byte, keep []int, linkedCol int, linked string, t *strtab) {
	has := false
	for _, c := range keep {
		if len(get(f, c)) > 0 {
			has = true
			break
		}
	}
	if !has {
		return
	}
	kept.people = append(kept.people, int32(i))
	for _, c := range keep {
		v := get(f, c)
		switch {
		case len(v) == 0:
			kept.values = append(kept.values, "")
		case c == linkedCol && len(v) == len(linked):
			kept.values = append(kept.values, linked)
		default:
			kept.values = append(kept.values, t.raw(v))
		}
	}
}

// readAccounts reads Account.csv.
func readAccounts(ctx context.Context, path string, dst *[]matcher.Account) (FileStat, []Reject, error) {
	t := newStrtab()
	seen := newSeenIDs()
	var recID sfIDs
	// sized from the counted rows of a CSV file, as the leads are
	bound := rowBound(ctx, path)
	if bound > 0 {
		*dst = slices.Grow(*dst, bound)
		seen.reserve(bound)
	}
	bind := func(c *columns) (*binding, error) {
		if _, err := c.need(contractObject(snapshot.Account).Required...); err != nil {
			return nil, err
		}
		var (
			id, name  = c.col("Id"), c.col("Name")
			website   = c.col("Website")
			phone     = c.col("Phone")
			street    = c.col("BillingStreet")
			city      = c.col("BillingCity")
			state     = c.col("BillingState")
			postal    = c.col("BillingPostalCode")
			country   = c.col("BillingCountry")
			employees = c.col("NumberOfEmployees")
			industry  = c.col("Industry")
		)
		var (
			iName     = t.interner()
			iWebsite  = t.interner()
			iCity     = t.interner()
			iState    = t.interner()
			iPostal   = t.interner()
			iCountry  = t.interner()
			iIndustry = t.interner()
		)
		return &binding{
			idCol: id,
			grow: func(n int) {
				if bound > 0 {
					return // sized from the counted rows; append covers an undercount
				}
				*dst = slices.Grow(*dst, n)
				seen.reserve(n)
			},
			row: func(f [][]byte, line int, drop dropFunc) *rowReject {
				raw := trimSpace(f[id])
				if len(raw) == 0 {
					return &rowReject{reason: ReasonEmptyRecordID, detail: "Id is empty"}
				}
				if rj := badID(raw, "Id", ReasonInvalidRecID); rj != nil {
					return rj
				}
				emp := 0
				if v := trimSpace(get(f, employees)); len(v) > 0 {
					if n, err := strconv.Atoi(string(v)); err != nil || n < 0 {
						drop("NumberOfEmployees", fmt.Sprintf("%q is not a whole number", v))
					} else {
						emp = n
					}
				}
				rids, dup := seen.add(recID.norm(raw), raw, path, line, t.str)
				if dup != "" {
					return &rowReject{id: string(raw), reason: ReasonDuplicateRecID, detail: dup}
				}
				a := matcher.Account{
					ID:         rids,
					Name:       iName.get(f[name]),
					Website:    iWebsite.get(get(f, website)),
					Phone:      t.str(get(f, phone)),
					Street:     t.str(get(f, street)),
					City:       iCity.get(get(f, city)),
					State:      iState.get(get(f, state)),
					PostalCode: iPostal.get(get(f, postal)),
					Country:    iCountry.get(get(f, country)),
					Employees:  emp,
					Industry:   iIndustry.get(get(f, industry)),
				}
				*dst = append(*dst, a)
				return nil
			},
		}, nil
	}
	return scan(ctx, path, snapshot.Account, bind)
}

// readUsers reads User.csv.
func readUsers(ctx context.Context, path string, dst *[]User) (FileStat, []Reject, error) {
	t := newStrtab()
	seen := newSeenIDs()
	var recID sfIDs
	bind := func(c *columns) (*binding, error) {
		if _, err := c.need(contractObject(snapshot.User).Required...); err != nil {
			return nil, err
		}
		id, email, username, active := c.col("Id"), c.col("Email"), c.col("Username"), c.col("IsActive")
		return &binding{
			idCol: id,
			row: func(f [][]byte, line int, drop dropFunc) *rowReject {
				raw := trimSpace(f[id])
				if len(raw) == 0 {
					return &rowReject{reason: ReasonEmptyRecordID, detail: "Id is empty"}
				}
				if rj := badID(raw, "Id", ReasonInvalidRecID); rj != nil {
					return rj
				}
				isActive := true // a User export without IsActive lists users that can log in
				if active >= 0 {
					v, ok := parseBool(f[active])
					if !ok {
						drop("IsActive", fmt.Sprintf("%q is not a boolean", trimSpace(f[active])))
					}
					isActive = v
				}
				rids, dup := seen.add(recID.norm(raw), raw, path, line, t.str)
				if dup != "" {
					return &rowReject{id: string(raw), reason: ReasonDuplicateRecID, detail: dup}
				}
				*dst = append(*dst, User{ID: rids, Email: t.str(f[email]), Username: t.str(get(f, username)), IsActive: isActive})
				return nil
			},
		}, nil
	}
	return scan(ctx, path, snapshot.User, bind)
}

// readOpportunities reads Opportunity.csv.
func readOpportunities(ctx context.Context, path string, dst *[]Opportunity) (FileStat, []Reject, error) {
	t := newStrtab()
	seen := newSeenIDs()
	var recID, refID sfIDs
	bind := func(c *columns) (*binding, error) {
		if _, err := c.need(contractObject(snapshot.Opportunity).Required...); err != nil {
			return nil, err
		}
		id, account := c.col("Id"), c.col("AccountId")
		name, stage, closeDate, closed := c.col("Name"), c.col("StageName"), c.col("CloseDate"), c.col("IsClosed")
		var (
			iAccount   = t.interner()
			iStage     = t.interner()
			iCloseDate = t.interner()
		)
		return &binding{
			idCol: id,
			row: func(f [][]byte, line int, drop dropFunc) *rowReject {
				raw := trimSpace(f[id])
				if len(raw) == 0 {
					return &rowReject{reason: ReasonEmptyRecordID, detail: "Id is empty"}
				}
				if rj := badID(raw, "Id", ReasonInvalidRecID); rj != nil {
					return rj
				}
				isClosed, ok := parseBool(get(f, closed))
				if !ok {
					drop("IsClosed", fmt.Sprintf("%q is not a boolean", trimSpace(get(f, closed))))
				}
				rids, dup := seen.add(recID.norm(raw), raw, path, line, t.str)
				if dup != "" {
					return &rowReject{id: string(raw), reason: ReasonDuplicateRecID, detail: dup}
				}
				*dst = append(*dst, Opportunity{
					ID: rids, Name: t.str(get(f, name)), AccountID: iAccount.get(refID.norm(trimSpace(f[account]))),
					StageName: iStage.get(get(f, stage)), CloseDate: iCloseDate.get(get(f, closeDate)), IsClosed: isClosed,
				})
				return nil
			},
		}, nil
	}
	return scan(ctx, path, snapshot.Opportunity, bind)
}
