package soql_test

import (
	"strconv"
	"testing"

	"github.com/navsync/navsync/sfbulk/sfsim/soql"
)

// colRec is a record as a simulator stores it: values by column index, and
// the parent record of each hop resolved through a lookup.
type colRec struct {
	cols    []string
	nulls   []bool
	account *colRec
}

func (r *colRec) Value(f *soql.FieldRef) (string, bool) {
	cur := r
	if len(f.Hops) > 0 {
		cur = r.account // the only relationship the benchmark queries
		if cur == nil {
			return "", true
		}
	}
	i := f.Field.Index
	return cur.cols[i], cur.nulls[i]
}

// BenchmarkMatch evaluates a realistic WHERE clause over 1M contacts per
// iteration; it must not allocate.
func BenchmarkMatch(b *testing.B) {
	const n = 1_000_000
	schema := newTestSchema()
	width := len(schema["contact"].fields)
	accounts := make([]*colRec, 1000)
	for i := range accounts {
		a := &colRec{cols: make([]string, len(schema["account"].fields)), nulls: make([]bool, len(schema["account"].fields))}
		a.cols[schema["account"].fields["name"].Index] = "Account " + strconv.Itoa(i)
		accounts[i] = a
	}
	recs := make([]colRec, n)
	lastNames := []string{"Smith", "Jones", "O'Brien", "García", "Nguyen", "Müller", "Kim", "Brown"}
	col := func(name string) int { return schema["contact"].fields[name].Index }
	for i := range recs {
		r := &recs[i]
		r.cols, r.nulls = make([]string, width), make([]bool, width)
		r.cols[col("id")] = id18("0035g" + leftPad(strconv.FormatInt(int64(i), 36), 10))
		r.cols[col("lastname")] = lastNames[i%len(lastNames)]
		if i%3 == 0 {
			r.nulls[col("email")] = true
		} else {
			r.cols[col("email")] = "person" + strconv.Itoa(i) + "@example.com"
		}
		r.cols[col("donotcall")] = strconv.FormatBool(i%7 == 0)
		r.cols[col("createddate")] = "2024-0" + strconv.Itoa(1+i%9) + "-15T10:05:00.000+0000"
		r.cols[col("score__c")] = strconv.Itoa(i % 100)
		if i%5 != 0 {
			r.account = accounts[i%len(accounts)]
		}
	}
	q, err := soql.Parse("SELECT Id FROM Contact WHERE DoNotCall = false AND " +
		"(Email LIKE '%7@example.com' OR LastName IN ('smith', 'GARCÍA', 'kim')) AND " +
		"CreatedDate > 2024-03-01T00:00:00Z AND Score__c >= 10 AND Account.Name != null")
	if err != nil {
		b.Fatal(err)
	}
	if err := q.Resolve(schema); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	matched := 0
	for b.Loop() {
		matched = 0
		for i := range recs {
			if q.Match(&recs[i]) {
				matched++
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/record")
	if matched == 0 || matched == n {
		b.Fatalf("matched %d of %d: the filter is not selective", matched, n)
	}
}

func leftPad(s string, w int) string {
	for len(s) < w {
		s = "0" + s
	}
	return s
}
