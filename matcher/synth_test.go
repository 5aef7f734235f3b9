package matcher

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// syntheticInput makes a reproducible CRM of n people with leads that are
// exact copies, nickname and typo variants, job changers and strangers. It
// exercises the parallel paths; quality is measured on the fixtures worlds
// (quality_test.go and make eval).
func syntheticInput(n int, seed uint64) Input {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	firsts := []string{"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "William", "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Zoë", "José", "Łukasz", "Anaïs"}
	lasts := []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Kowalczyk", "Nguyen", "Müller", "O'Brien", "Van der Berg", "Okafor", "Tanaka", "Schmidt", "Rossi", "Dubois"}
	companies := []string{"Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Cyberdyne", "Tyrell", "Soylent", "Wonka", "Gringotts", "Oscorp", "Aperture"}
	titles := []string{"VP Sales", "Sales Manager", "Software Engineer", "CFO", "Marketing Director", "Account Executive", "Head of Product"}
	nick := map[string]string{"Robert": "Bob", "William": "Bill", "Elizabeth": "Liz", "Richard": "Dick", "Joseph": "Joe", "Thomas": "Tom", "James": "Jim", "Michael": "Mike"}
	var in Input
	for i := range 40 {
		c := companies[i%len(companies)] + " " + strconv.Itoa(i)
		in.Accounts = append(in.Accounts, Account{ID: "001" + strconv.Itoa(i), Name: c + " Inc.", Website: "www." + strings.ToLower(strings.ReplaceAll(c, " ", "")) + ".com"})
	}
	for i := range n {
		f, l := firsts[rng.IntN(len(firsts))], lasts[rng.IntN(len(lasts))]
		a := in.Accounts[rng.IntN(len(in.Accounts))]
		dom := strings.TrimPrefix(a.Website, "www.")
		obj, id := "Contact", "003"+strconv.Itoa(i)
		if i%4 == 3 {
			obj, id = "Lead", "00Q"+strconv.Itoa(i)
		}
		p := Person{ID: id, Object: obj, FirstName: f, LastName: l, Company: a.Name, AccountID: a.ID, Title: titles[rng.IntN(len(titles))], Country: "US"}
		if rng.IntN(3) > 0 {
			p.Email = strings.ToLower(f[:1]+strings.ReplaceAll(l, " ", "")) + strconv.Itoa(i) + "@" + dom
		}
		if rng.IntN(2) == 0 {
			p.Phone = "(415) 555-" + strconv.Itoa(1000+i%9000)
		}
		in.People = append(in.People, p)
		if rng.IntN(3) == 0 {
			continue
		}
		ld := Lead{LeadID: "L" + strconv.Itoa(i), FirstName: f, LastName: l, CurrentCompany: strings.TrimSuffix(a.Name, " Inc."), CurrentTitle: p.Title, Country: "US"}
		switch rng.IntN(5) {
		case 0:
			ld.Email = p.Email
		case 1:
			if nn, ok := nick[f]; ok {
				ld.FirstName = nn
			}
		case 2:
			if len(l) > 4 {
				ld.LastName = l[:2] + l[3:]
			}
		case 3:
			ld.PastCompanies = []string{a.Name}
			ld.CurrentCompany = "Newco " + strconv.Itoa(rng.IntN(100))
		}
		in.Leads = append(in.Leads, ld)
	}
	return in
}
