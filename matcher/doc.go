// Package matcher decides which Sales Navigator lead is which Salesforce
// Contact or Lead, and which Account a company is: normalisation, blocking,
// per-field comparison, Fellegi–Sunter scoring with term-frequency
// adjustment, one-to-one decisions and explanations. It is pure: no files, no
// network, no Salesforce types.
package matcher
