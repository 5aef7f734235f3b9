package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/matcher"
)

type caseStats struct {
	leads, matchOK, matchWrong, possibleOK, possibleOther, none int
}

// summary is what one world scored.
type summary struct {
	Leads, InOrg, Rejects   int
	Matches, MatchOK        int
	PossibleOK              int
	HardNegatives, HardHits int
	NameCompanyOnly         int // matches decided on name and company alone
	NameCompanyOnlyWrong    int
	Precision, Recall       float64
	RecallPossible          float64
	cases                   map[string]*caseStats
	wrong                   []wrongMatch
	missed                  map[string][]wrongMatch // people of the org not matched, and others given a CRM record, by case
}

type wrongMatch struct {
	kind  string
	lead  matcher.Lead
	res   matcher.LeadResult
	truth []string
	like  string
}

// readAndMatch reads dir's files as navsync match does and runs Match with
// the default options.
func readAndMatch(ctx context.Context, dir string) (*input.Inputs, *matcher.Result, error) {
	in, err := input.Read(ctx, input.Sources{CRMDir: filepath.Join(dir, "crm"), Leads: []string{filepath.Join(dir, "leads.csv")}}, input.SnapshotOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("read: %w", err)
	}
	res, err := matcher.Match(ctx, in.Input, matcher.DefaultOptions())
	if err != nil {
		return nil, nil, fmt.Errorf("match: %w", err)
	}
	return in, res, nil
}

// score compares the decisions with the truth.
func score(w *world, in *input.Inputs, res *matcher.Result) *summary {
	s := &summary{Leads: len(res.Leads), Rejects: len(in.Rejects), cases: map[string]*caseStats{}, missed: map[string][]wrongMatch{}}
	rows := map[string]*leadRow{}
	for _, l := range w.leads {
		rows[l.id] = l
	}
	leads := map[string]matcher.Lead{}
	for _, l := range in.Input.Leads {
		leads[l.LeadID] = l
	}
	for _, lr := range res.Leads {
		row := rows[lr.LeadID]
		if row == nil {
			continue
		}
		c := caseOf(row.kind)
		cs := s.cases[row.kind]
		if cs == nil {
			cs = &caseStats{}
			s.cases[row.kind] = cs
		}
		cs.leads++
		right := lr.CRMID != "" && slices.Contains(row.truth, lr.CRMID)
		if c.inOrg {
			s.InOrg++
		}
		if c.hard {
			s.HardNegatives++
		}
		if c.inOrg && !(lr.Decision == matcher.DecisionMatch && right) || !c.inOrg && lr.CRMID != "" {
			s.missed[row.kind] = append(s.missed[row.kind], wrongMatch{row.kind, leads[lr.LeadID], lr, row.truth, row.shadow})
		}
		switch lr.Decision {
		case matcher.DecisionMatch:
			s.Matches++
			if nameAndCompanyOnly(lr.Fields) {
				s.NameCompanyOnly++
				if !right {
					s.NameCompanyOnlyWrong++
				}
			}
			if right {
				s.MatchOK++
				cs.matchOK++
			} else {
				cs.matchWrong++
				if c.hard {
					s.HardHits++
				}
				s.wrong = append(s.wrong, wrongMatch{row.kind, leads[lr.LeadID], lr, row.truth, row.shadow})
			}
		case matcher.DecisionPossible:
			if right {
				s.PossibleOK++
				cs.possibleOK++
			} else {
				cs.possibleOther++
			}
		default:
			cs.none++
		}
	}
	s.Precision = ratio(s.MatchOK, s.Matches)
	s.Recall = ratio(s.MatchOK, s.InOrg)
	s.RecallPossible = ratio(s.MatchOK+s.PossibleOK, s.InOrg)
	return s
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// print writes the scores, the per-case table and up to 15 wrong matches.
func (s *summary) print(out io.Writer, in *input.Inputs) {
	fmt.Fprintf(out, "leads %d (%d of the org), input rejects %d\n", s.Leads, s.InOrg, s.Rejects)
	fmt.Fprintf(out, "precision of match         %.4f  (%d of %d)\n", s.Precision, s.MatchOK, s.Matches)
	fmt.Fprintf(out, "recall of match            %.4f\n", s.Recall)
	fmt.Fprintf(out, "recall of match+possible   %.4f\n", s.RecallPossible)
	fmt.Fprintf(out, "hard negatives matched     %d of %d\n", s.HardHits, s.HardNegatives)
	fmt.Fprintf(out, "matched on name and company alone (no email, phone, title or past job to compare): %d, %d of them wrong\n\n",
		s.NameCompanyOnly, s.NameCompanyOnlyWrong)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\tleads\tmatch ✓\tmatch ✗\tpossible ✓\tpossible other\tnone\trecall match\trecall m+p\t")
	for _, c := range mix {
		cs := s.cases[c.name]
		if cs == nil {
			continue
		}
		name := c.name
		rm, rmp := "–", "–"
		if c.inOrg {
			rm = fmt.Sprintf("%.4f", ratio(cs.matchOK, cs.leads))
			rmp = fmt.Sprintf("%.4f", ratio(cs.matchOK+cs.possibleOK, cs.leads))
		} else {
			name += " (not in org)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t\n", name, cs.leads, cs.matchOK, cs.matchWrong, cs.possibleOK, cs.possibleOther, cs.none, rm, rmp)
	}
	tw.Flush()
	if len(s.wrong) == 0 {
		return
	}
	people := map[string]matcher.Person{}
	for _, p := range in.Input.People {
		people[p.ID] = p
	}
	// Up to 15 examples, taking the cases in turn.
	byKind := map[string][]wrongMatch{}
	var kinds []string
	for _, wm := range s.wrong {
		if byKind[wm.kind] == nil {
			kinds = append(kinds, wm.kind)
		}
		byKind[wm.kind] = append(byKind[wm.kind], wm)
	}
	slices.Sort(kinds)
	fmt.Fprintf(out, "\nwrong matches: %d (by case:", len(s.wrong))
	for _, k := range kinds {
		fmt.Fprintf(out, " %s %d", k, len(byKind[k]))
	}
	fmt.Fprintln(out, ")")
	noTitle, otherFirm := 0, 0
	for _, wm := range s.wrong {
		p := people[wm.res.CRMID]
		if p.Title == "" {
			noTitle++
		}
		if wm.res.Fields != nil && companyLevel(wm.res.Fields) != "exact" {
			otherFirm++
		}
	}
	fmt.Fprintf(out, "of them: %d chose a CRM record without a title, %d a record whose company is not an exact match\n", noTitle, otherFirm)
	shown := 0
	for i := 0; shown < 15; i++ {
		any := false
		for _, k := range kinds {
			if i < len(byKind[k]) && shown < 15 {
				printWrong(out, byKind[k][i], people)
				shown++
				any = true
			}
		}
		if !any {
			break
		}
	}
}

// printMissed writes up to n leads of an in-org case that were not
// matched to their person.
func (s *summary) printMissed(out io.Writer, in *input.Inputs, kind string, n int) {
	people := map[string]matcher.Person{}
	for _, p := range in.Input.People {
		people[p.ID] = p
	}
	ms := s.missed[kind]
	fmt.Fprintf(out, "\n%s: %d leads of the org not matched to their person, or not of the org and given a CRM record\n", kind, len(ms))
	for _, m := range ms[:min(n, len(ms))] {
		printWrong(out, m, people)
	}
}

func printWrong(out io.Writer, wm wrongMatch, people map[string]matcher.Person) {
	l := wm.lead
	fmt.Fprintf(out, "\n[%s] lead %s  %s p=%.4f %s runner-up %s p=%.4f job_change=%v\n", wm.kind, l.LeadID, wm.res.Decision,
		wm.res.Probability, wm.res.Reason, wm.res.RunnerUpID, wm.res.RunnerUpProbability, wm.res.JobChange)
	fmt.Fprintf(out, "  lead:   %s %s | %s | %s | %s (%s) | %s | past %s / %s | %s %s %s\n", l.FirstName, l.LastName, l.Email, l.Phone,
		l.CurrentCompany, l.CurrentCompanyDomain, l.CurrentTitle, strings.Join(l.PastCompanies, "|"), strings.Join(l.PastTitles, "|"),
		l.City, l.State, l.Country)
	if wm.res.CRMID != "" {
		printPerson(out, "chosen", people[wm.res.CRMID])
	}
	for _, id := range wm.truth {
		printPerson(out, "truth", people[id])
	}
	if len(wm.truth) == 0 {
		fmt.Fprintln(out, "  truth:  not in the org")
		if wm.like != "" && wm.like != wm.res.CRMID {
			printPerson(out, "resembles", people[wm.like])
		}
	}
	var fs []string
	for _, f := range wm.res.Fields {
		fs = append(fs, fmt.Sprintf("%s=%s(%.1f)", f.Field, f.Level, f.Weight))
	}
	fmt.Fprintf(out, "  fields: %s\n", strings.Join(fs, " "))
}

func printPerson(out io.Writer, label string, p matcher.Person) {
	fmt.Fprintf(out, "  %-7s %s %s %s | %s | %s %s | %s | %s | %s %s %s", label+":", p.Object, p.FirstName, p.LastName, p.Email, p.Phone,
		p.MobilePhone, p.Company, p.Title, p.City, p.State, p.Country)
	if p.IsConverted {
		fmt.Fprintf(out, " (converted → %s)", p.ConvertedContactID)
	}
	fmt.Fprintln(out)
}

func companyLevel(fs []matcher.FieldScore) string {
	for _, f := range fs {
		if f.Field == "current_company" {
			return f.Level
		}
	}
	return ""
}

// nameAndCompanyOnly reports whether a decision had nothing but the names
// and the current company to go on: every other field missing on one side.
func nameAndCompanyOnly(fs []matcher.FieldScore) bool {
	for _, f := range fs {
		switch f.Field {
		case "first_name", "last_name", "current_company":
		default:
			if f.Level != "missing" {
				return false
			}
		}
	}
	return true
}
