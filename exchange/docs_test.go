package exchange_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/exchange"
)

// The docs' lists and tables of exchanges are checked against the registry:
// a seventh exchange, a changed URL or a new error code fails here until the
// docs say so too.

func readDoc(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func names(infos []exchange.Info) []string {
	var out []string
	for _, in := range infos {
		out = append(out, in.Name)
	}
	return out
}

// named returns the registered exchanges text mentions as words, in
// registry order.
func named(text string) []string {
	var out []string
	for _, in := range exchange.All() {
		if regexp.MustCompile(`(?i)\b` + in.Name + `\b`).MatchString(text) {
			out = append(out, in.Name)
		}
	}
	return out
}

// exchangeOf returns the exchange a table cell names by its first word
// ("Coinbase Advanced (CDP keys)" → coinbase), or "".
func exchangeOf(cell string) string {
	first, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(cell)), " ")
	if _, ok := exchange.Lookup(first); ok {
		return first
	}
	return ""
}

// table is a Markdown table: its header cells and body rows.
type table struct {
	header []string
	rows   [][]string
}

func cells(line string) []string {
	line = strings.TrimSpace(line)
	parts := strings.Split(strings.Trim(line, "|"), "|")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

func tables(doc string) []table {
	var out []table
	var cur *table
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(line, "|") {
			cur = nil
			continue
		}
		switch {
		case cur == nil:
			out = append(out, table{header: cells(line)})
			cur = &out[len(out)-1]
		case strings.HasPrefix(line, "|---"):
		default:
			cur.rows = append(cur.rows, cells(line))
		}
	}
	return out
}

// columns maps an exchange to its column in a table whose header names
// exchanges.
func (tb table) columns() map[string]int {
	cols := map[string]int{}
	for i, h := range tb.header {
		if ex := exchangeOf(h); ex != "" {
			cols[ex] = i
		}
	}
	return cols
}

func (tb table) row(first string) []string {
	for _, r := range tb.rows {
		if r[0] == first {
			return r
		}
	}
	return nil
}

// Every table in the docs that has a column or a row per exchange has one
// for each registered exchange, in registry order.
func TestDocsTablesListEveryExchange(t *testing.T) {
	want := names(exchange.All())
	for _, path := range []string{"../docs/exchanges.md", "../docs/auditlog.md", "../docs/check.md", "../README.md"} {
		for _, tb := range tables(readDoc(t, path)) {
			var inHeader, inRows []string
			for _, h := range tb.header {
				if ex := exchangeOf(h); ex != "" {
					inHeader = append(inHeader, ex)
				}
			}
			for _, r := range tb.rows {
				if ex := exchangeOf(r[0]); ex != "" {
					inRows = append(inRows, ex)
				}
			}
			for _, got := range [][]string{inHeader, inRows} {
				if len(got) > 1 && !slices.Equal(got, want) {
					t.Errorf("%s: table %q lists %v, registry %v", path, strings.Join(tb.header, " | "), got, want)
				}
			}
		}
	}
}

func TestDocsExchangeFacts(t *testing.T) {
	all := exchange.All()
	var glance table
	for _, tb := range tables(readDoc(t, "../docs/exchanges.md")) {
		if tb.row("default base URL") != nil {
			glance = tb
		}
	}
	urls, creds := glance.row("default base URL"), glance.row("credentials")
	if urls == nil || creds == nil {
		t.Fatal(`docs/exchanges.md: no table with rows "default base URL" and "credentials"`)
	}
	cols := glance.columns()
	for _, in := range all {
		c, ok := cols[in.Name]
		if !ok {
			t.Errorf("docs/exchanges.md at a glance: no column for %s", in.Name)
			continue
		}
		if urls[c] != "`"+in.DefaultURL+"`" {
			t.Errorf("docs/exchanges.md: %s default base URL %s, registry %s", in.Name, urls[c], in.DefaultURL)
		}
		if strings.Contains(creds[c], "**passphrase**") != in.Passphrase {
			t.Errorf("docs/exchanges.md: %s credentials %q, registry passphrase %v", in.Name, creds[c], in.Passphrase)
		}
	}

	var passphrase, hosts []string
	for _, in := range all {
		if in.Passphrase {
			passphrase = append(passphrase, in.Name)
		}
		if len(in.Hosts) > 0 {
			hosts = append(hosts, in.Name)
		}
	}
	wizard := tables(readDoc(t, "../docs/wizard.md"))
	for _, tt := range []struct {
		row  string
		want []string
	}{
		{"Endpoint", hosts},
		{"API key, secret (passphrase for OKX and KuCoin)", passphrase},
	} {
		var found []string
		for _, tb := range wizard {
			if r := tb.row(tt.row); r != nil {
				found = named(strings.Join(r, " "))
			}
		}
		if !slices.Equal(found, tt.want) {
			t.Errorf("docs/wizard.md row %q names %v, registry %v", tt.row, found, tt.want)
		}
	}
}

var (
	backticked = regexp.MustCompile("`([^`]+)`")
	numberCode = regexp.MustCompile(`-?\d{4,}`)
)

// The "Errors → causes" table holds each documented code under its cause,
// and no code the registry does not know.
func TestDocsErrorCodes(t *testing.T) {
	var causes table
	for _, tb := range tables(readDoc(t, "../docs/exchanges.md")) {
		if len(tb.header) > 0 && tb.header[0] == "cause" {
			causes = tb
		}
	}
	cols := causes.columns()
	if len(cols) == 0 {
		t.Fatal(`docs/exchanges.md: no table headed "cause"`)
	}
	codesIn := func(cell string) []string {
		var out []string
		for _, m := range backticked.FindAllStringSubmatch(cell, -1) {
			out = append(out, m[1])
		}
		return append(out, numberCode.FindAllString(backticked.ReplaceAllString(cell, ""), -1)...)
	}
	for _, in := range exchange.All() {
		c, ok := cols[in.Name]
		if !ok {
			t.Errorf("errors table: no column for %s", in.Name)
			continue
		}
		known := exchange.KnownCodes(in.Name)
		for code, cause := range known {
			r := causes.row("`" + string(cause) + "`")
			if r == nil || !slices.Contains(codesIn(r[c]), code) {
				t.Errorf("errors table: %s code %q is not in row %s", in.Name, code, cause)
			}
		}
		for _, r := range causes.rows {
			for _, code := range codesIn(r[c]) {
				if _, ok := known[code]; !ok {
					t.Errorf("errors table: %s code %q (row %s) is not in the registry", in.Name, code, r[0])
				}
			}
		}
	}
}

// Lists of exchange names in prose and examples.
func TestDocsNameLists(t *testing.T) {
	want := names(exchange.All())
	readme := readDoc(t, "../README.md")
	for _, s := range []string{
		"use one of " + strings.Join(want, ", "),
		"# " + strings.Join(want, " | "),
	} {
		if !strings.Contains(readme, s) {
			t.Errorf("README.md does not say %q", s)
		}
	}
	supported := regexp.MustCompile(`([^.]*) are supported\.`).FindStringSubmatch(strings.ReplaceAll(readme, "\n", " "))
	if supported == nil || !slices.Equal(named(supported[1]), want) {
		t.Errorf("README.md: supported exchanges %q, registry %v", supported, want)
	}
	if s := "`" + strings.Join(want, "`, `") + "`"; !strings.Contains(readDoc(t, "../docs/auditlog.md"), s) {
		t.Errorf("docs/auditlog.md does not list %s", s)
	}
}
