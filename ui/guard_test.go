package ui

import (
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/keystore"
)

// The panic report also hides the secret's hex, unpadded base64url and
// path-escaped forms (a panic value may carry a request dump).
func TestPanicReportHidesEncodedSecret(t *testing.T) {
	const secret = "Sup3rS3cretValue/9f8e7d6c5b4a?x"
	forms := []string{
		hex.EncodeToString([]byte(secret)),
		base64.RawURLEncoding.EncodeToString([]byte(secret)),
		url.PathEscape(secret),
	}
	defer func() {
		pe, ok := recover().(PanicError)
		if !ok {
			t.Fatal("no PanicError")
		}
		for _, f := range forms {
			if strings.Contains(pe.Error(), f) {
				t.Errorf("panic report holds %q: %q", f, pe.Error())
			}
		}
	}()
	func() {
		defer guard([]keystore.Secret{keystore.NewSecret(secret)})
		panic("dump: " + strings.Join(forms, " "))
	}()
}
