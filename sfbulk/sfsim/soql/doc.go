// Package soql parses, resolves and evaluates the subset of SOQL that the
// org simulator answers, with Salesforce's error codes and message shapes
// (the query row, a caret line, "ERROR at Row:R:Column:C", then the
// reason). Parse builds a Query; Resolve checks it against a Schema
// (INVALID_TYPE, INVALID_FIELD, INVALID_QUERY_FILTER_OPERATOR) and
// compiles the WHERE clause so that Match evaluates it over millions of
// records without allocating; Compare implements ORDER BY. The grammar,
// keywords and names case-insensitive:
//
//	query      = SELECT ( COUNT '(' ')' | path {',' path} ) FROM object
//	             [WHERE cond] [ORDER BY order {',' order}] [LIMIT int] [OFFSET int]
//	path       = name {'.' name}             Name, Account.Name, Account.Owner.Email
//	cond       = term {AND term} | term {OR term}    (mixing needs parentheses)
//	term       = NOT term | '(' cond ')' | path op value | path LIKE string
//	           | path [NOT] IN '(' value {',' value} ')'
//	op         = '=' | '!=' | '<>' | '<' | '<=' | '>' | '>='
//	value      = string | number | date | datetime | NULL | TRUE | FALSE | dateliteral
//	string     = "'" with escapes \' \" \\ \n \r \t \b \f \uXXXX, and \% \_ for LIKE "'"
//	date       = YYYY-MM-DD;  datetime = YYYY-MM-DDThh:mm:ss[.fff](Z|±hh[:]mm)
//	dateliteral= TODAY | YESTERDAY | TOMORROW | {LAST,THIS,NEXT}_{WEEK,MONTH,YEAR}
//	           | LAST_90_DAYS | NEXT_90_DAYS | {LAST,NEXT}_N_{DAYS,WEEKS,MONTHS}:n | N_DAYS_AGO:n
//	order      = path [ASC | DESC] [NULLS FIRST | NULLS LAST]
//
// Comparisons follow SOQL: text compares case-insensitively (LIKE too, with
// % and _), an empty string literal means null, Field != 'x' includes nulls, ids compare on their
// case-sensitive 15-character form, and date literals cover ranges in UTC.
// GROUP BY, aggregates other than COUNT(), subqueries, TYPEOF, WITH,
// FIELDS() and the rest are refused as MALFORMED_QUERY "unsupported SOQL
// feature: …"; OFFSET above 2000 is NUMBER_OUTSIDE_VALID_RANGE. A statement
// longer than MaxLength (100,000) characters is MALFORMED_QUERY "SOQL
// statements cannot be longer than 100000 characters", as in Salesforce,
// and conditions nested deeper than MaxNesting (1,000; parentheses and NOT
// together) are QUERY_TOO_COMPLICATED, so parsing and evaluation use a
// bounded stack. Query.String prints a query back as SOQL that parses to an
// equal query.
package soql
