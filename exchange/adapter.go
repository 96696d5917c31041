package exchange

import (
	"io"
	"net/http"
)

// Pieces every adapter uses the same way.

// newRequest builds a request; a failure (a base URL that does not parse)
// comes back as *Error like every other failure of a client.
func newRequest(exchange, op, method, url string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return nil, &Error{Exchange: exchange, Op: op, Cause: CauseOther, Message: "bad request: " + err.Error(), Err: err}
	}
	return req, nil
}
