package sfbulk_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/navsync/navsync/sfbulk"
	"github.com/navsync/navsync/sfbulk/sfsim"
)

// Connect with a stored refresh token, export Contacts through Bulk 2.0 and
// write one back through sObject Collections.
func Example() {
	ctx := context.Background()
	org, _ := sfsim.New(sfsim.Options{})
	defer org.Close()
	org.Load("Contact", []string{"FirstName", "LastName"}, [][]string{{"Ann", "O'Brien"}, {"Bob", "Smith"}})
	srv := httptest.NewServer(org.Handler())
	defer srv.Close()

	// What `navsync auth login` leaves in the token store.
	_, refresh, _ := org.IssueToken(org.AdminUser().Username)
	app := org.ConnectedApp()
	oauth := sfbulk.OAuthConfig{LoginURL: srv.URL, ClientID: app.ClientID, ClientSecret: app.ClientSecret}
	ts, _ := sfbulk.NewRefreshTokenSource(oauth, sfbulk.NewMemoryTokenStore(&sfbulk.Token{RefreshToken: refresh}))
	c, err := sfbulk.New(ctx, sfbulk.Config{UserDailyBudget: 1000}, ts)
	if err != nil {
		fmt.Println(err)
		return
	}

	soql, _ := sfbulk.Select("Id", "FirstName", "LastName").From("Contact").Where(sfbulk.Eq("LastName", "O'Brien")).Build()
	fmt.Println(soql)
	var ids []string
	st, err := c.BulkQuery(ctx, soql, sfbulk.BulkQueryOptions{}, func(header, row []string) error {
		fmt.Println(header, row[1:])
		ids = append(ids, row[0])
		return nil
	})
	fmt.Println(st.Rows, "row(s),", err)

	res, err := c.Update(ctx, "Contact", []sfbulk.Record{{"Id": ids[0], "Title": "CTO"}})
	fmt.Println(res[0].Success, res[0].Sent, err)
	// Output:
	// SELECT Id, FirstName, LastName FROM Contact WHERE LastName = 'O\'Brien'
	// [Id FirstName LastName] [Ann O'Brien]
	// 1 row(s), <nil>
	// true answered <nil>
}
