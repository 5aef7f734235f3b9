package main

import (
	"fmt"

	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/sfbulk/sfsim"
)

// seedSimWorld loads a generated world's org records (Account, Contact,
// Lead, User, Opportunity, as crm/*.csv holds them) into a simulator org.
// `navsync sim` and `navsync demo` seed their org the same way.
func seedSimWorld(srv *sfsim.Server, w *fixtures.World) error {
	for _, tb := range w.CRMTables() {
		if err := srv.Load(tb.Object, tb.Header, tb.Rows); err != nil {
			return fmt.Errorf("seed %s: %w", tb.Object, err)
		}
	}
	return nil
}
