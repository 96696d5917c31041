package exchange

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/keywarden/keywarden/keystore"
)

// Kraken spot REST API (api.kraken.com): GET /0/public/Time and the signed
// POST /0/private/GetApiKeyInfo. Facts: shared/reference/exchanges.md §6.

const krakenName = "kraken"

var krakenInfo = Info{
	Name:       krakenName,
	DefaultURL: "https://api.kraken.com",
	APIPage:    "Kraken → Settings → API",
	APIPageURL: "https://www.kraken.com/u/security/api",
	// Kraken's errors are "<severity><category>:<message>"; no other
	// exchange's codes look like these.
	CodePrefixes: []string{"EAPI:", "EGeneral:", "EOrder:", "EService:", "EQuery:", "EFunding:", "ETrade:"},
	codes:        krakenCodes,
	perms:        krakenPermissions,
	newClient:    NewKraken,
}

// NewKraken returns a Kraken spot client for baseURL. Every Kraken client in
// the process draws nonces from one shared, strictly increasing counter (see
// krakenNonces). hc nil selects DefaultHTTPClient.
func NewKraken(baseURL string, hc *http.Client) Client {
	if hc == nil {
		hc = DefaultHTTPClient
	}
	return &kraken{base: strings.TrimRight(baseURL, "/"), hc: hc, nonces: krakenNonces}
}

type kraken struct {
	base   string
	hc     *http.Client
	nonces *krakenNonce
}

func (k *kraken) Exchange() string { return krakenName }
func (k *kraken) BaseURL() string  { return k.base }

// Window is zero: Kraken judges a nonce (strictly increasing per key), not a
// timestamp, so the host clock cannot put a request outside a window.
func (k *kraken) Window() Window { return Window{} }

// ---- signing ----

// krakenNonce hands out nonces: the clock in milliseconds, but always
// greater than the last one handed out, so two requests in the same
// millisecond, or a clock stepped back, still produce increasing nonces.
// It also hands out each key's turn: Kraken rejects a nonce below one it
// has already accepted for the key (EAPI:Invalid nonce, unless the key has
// a nonce window), and two requests in flight at once can reach it in the
// other order, so a signed request holds its key's turn from drawing its
// nonce until Kraken has answered.
type krakenNonce struct {
	mu   sync.Mutex
	last uint64
	now  func() time.Time
	// turns holds one token per key (by the key's SHA-256, so the map
	// holds no key): taken while a request of that key is in flight.
	turns map[[sha256.Size]byte]chan struct{}
}

// krakenNonces is shared by every Kraken client in the process: Kraken
// rejects a nonce not above the last one accepted for the key, and clients
// built separately (one per check run, say) may use the same key.
var krakenNonces = &krakenNonce{now: time.Now}

func (n *krakenNonce) next() uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	v := uint64(max(n.now().UnixMilli(), 0))
	if v <= n.last {
		v = n.last + 1
	}
	n.last = v
	return v
}

// turn waits for key's turn (or ctx) and returns a nonce drawn inside it
// and the function that gives the turn back.
func (n *krakenNonce) turn(ctx context.Context, key string) (uint64, func(), error) {
	id := sha256.Sum256([]byte(key))
	n.mu.Lock()
	if n.turns == nil {
		n.turns = map[[sha256.Size]byte]chan struct{}{}
	}
	tok, ok := n.turns[id]
	if !ok {
		tok = make(chan struct{}, 1)
		n.turns[id] = tok
	}
	n.mu.Unlock()
	select {
	case tok <- struct{}{}:
	case <-ctx.Done():
		return 0, nil, ctx.Err()
	}
	return n.next(), func() { <-tok }, nil
}

// krakenSign is API-Sign: base64(HMAC-SHA512(key = base64-decoded secret,
// msg = URI path + SHA256(nonce + POST data))).
func krakenSign(secret, path, nonce, postData string) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(secret))
	if err != nil || len(key) == 0 {
		return "", errors.New("the api secret is not base64: paste the private key exactly as Kraken shows it")
	}
	sum := sha256.Sum256([]byte(nonce + postData))
	m := hmac.New(sha512.New, key)
	m.Write([]byte(path))
	m.Write(sum[:])
	return base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// ---- server time ----

func (k *kraken) ServerTime(ctx context.Context) (TimeSample, error) {
	const op = "server time"
	req, err := newRequest(krakenName, op, http.MethodGet, k.base+"/0/public/Time", nil)
	if err != nil {
		return TimeSample{}, err
	}
	r, result, err := k.do(ctx, op, req, keystore.Item{})
	if err != nil {
		return TimeSample{}, err
	}
	var t struct {
		Unixtime *int64 `json:"unixtime"`
	}
	if err := json.Unmarshal(result, &t); err != nil || t.Unixtime == nil || *t.Unixtime <= 0 {
		return TimeSample{}, MalformedError(krakenName, op, r, errors.New("no unixtime in the answer"))
	}
	// unixtime is whole seconds, truncated: the server's clock was somewhere
	// in [unixtime, unixtime+1), so take the middle.
	return TimeSample{Server: time.Unix(*t.Unixtime, int64(500*time.Millisecond)), Sent: r.Sent, Received: r.Received}, nil
}

// ---- key info ----

// KeyInfo ignores offset: Kraken's nonce is not a timestamp, so there is
// nothing to correct, and TimeCorrected stays false.
func (k *kraken) KeyInfo(ctx context.Context, creds keystore.Item, _ time.Duration) (KeyInfo, error) {
	const op, path = "key info", "/0/private/GetApiKeyInfo"
	if creds.APIKey.Empty() || creds.APISecret.Empty() {
		return KeyInfo{}, &Error{Exchange: krakenName, Op: op, Cause: CauseKey,
			Message: "api key or private key is empty: store the key again (keywarden import or add)"}
	}
	r, result, err := k.signedPost(ctx, op, path, creds, url.Values{})
	var e *Error
	if errors.As(err, &e) && e.Code == "EGeneral:Permission denied" {
		// GetApiKeyInfo needs no permission ("API Key Permissions Required:
		// None"), so a denial here is the key's IP allowlist (or an account
		// restriction), not a missing permission.
		e.Cause = CauseIP
		e.Message = "Permission denied: this IP is probably not on the key's allowlist (GetApiKeyInfo needs no permission)"
	}
	if err != nil {
		return KeyInfo{}, err
	}
	ki, err := decodeKrakenKeyInfo(result)
	if err != nil {
		return KeyInfo{}, MalformedError(krakenName, op, r, err)
	}
	return ki, nil
}

// krakenPermissions maps Kraken's permission strings to the common model.
// Sources: https://docs.kraken.com/exchange/guides/rest/api-keys (what each
// permission enables), https://docs.kraken.com/api-reference/account-data/get-api-key-info,
// and the names as GetApiKeyInfo reports them (shared/reference/exchanges.md
// §6.2). Withdrawal risk: withdraw-funds withdraws ("Funds permissions -
// Withdraw", https://docs.kraken.com/api-reference/funding/withdraw-funds),
// and it is counted as transfer too, since a key that may send funds away
// may move them between its own wallets; add-withdraw-address and
// update-withdraw-address rewrite the withdrawal address book, which defeats
// address whitelisting for every withdraw-capable key on the account, and a
// bot never needs them, so they count as Withdraw. earn-funds allocates to
// and deallocates from Earn strategies: Earn. add-funds (deposit methods and
// addresses) and create-ws-token grant nothing that moves value. Kraken spot
// keys have no convert, block trade, copy trading, P2P or pay permission.
var krakenPermissions = permTable{
	"query-funds":             {"read"},
	"query-open-trades":       {"read"},
	"query-closed-trades":     {"read"},
	"query-ledger":            {"read"},
	"export-data":             {"read"},
	"modify-trades":           {"trade"},
	"close-trades":            {"trade"},
	"earn-funds":              {"earn"},
	"withdraw-funds":          {"withdraw", "transfer"},
	"add-withdraw-address":    {"withdraw"},
	"update-withdraw-address": {"withdraw"},
	"add-funds":               nil,
	"create-ws-token":         nil,
}

// decodeKrakenKeyInfo reads the result of GetApiKeyInfo. permissions is
// complete: what it does not list is No. Spot keys cannot trade futures or
// options (Kraken Futures has its own keys); margin orders are possible with
// a trade permission only if the account is margin-enabled, which the key
// info does not say (Unknown). A permission this package does not know
// leaves Trade, Transfer and Withdraw Unknown, and one naming withdrawal
// counts as Withdraw (see permTable). An answer without permissions is an error, not
// a key of unknown permissions. ipAllowlist [] means no restriction; absent
// or null, the exchange said nothing. validUntil "0" is no expiry;
// createdTime and validUntil are unix seconds, as strings or numbers.
// modifiedTime and lastUsed are read the same way, but one that is not
// unix seconds is left zero rather than failing the answer: their names
// and format come from third-party code and a test fixture, not from
// Kraken's schema (UNVERIFIED), and nothing but the activity check's
// snapshot and details uses them.
func decodeKrakenKeyInfo(result []byte) (KeyInfo, error) {
	var d struct {
		Permissions  json.RawMessage `json:"permissions"`
		IPAllowlist  json.RawMessage `json:"ipAllowlist"`
		ValidUntil   json.RawMessage `json:"validUntil"`
		CreatedTime  json.RawMessage `json:"createdTime"`
		ModifiedTime json.RawMessage `json:"modifiedTime"`
		LastUsed     json.RawMessage `json:"lastUsed"`
	}
	if err := json.Unmarshal(result, &d); err != nil {
		return KeyInfo{}, err
	}
	if !krakenPresent(d.Permissions) {
		return KeyInfo{}, errors.New("no permissions in the answer")
	}
	var perms []string
	if err := json.Unmarshal(d.Permissions, &perms); err != nil {
		return KeyInfo{}, errors.New("permissions is not a list of strings")
	}
	var ki KeyInfo
	ki.Permissions = allNo()
	for _, name := range perms {
		ki.Raw = append(ki.Raw, name)
		krakenPermissions.grant(&ki.Permissions, name)
	}
	// Margin rides on a trade permission; the account decides the rest.
	if ki.Permissions.Trade != No {
		ki.Permissions.Margin = Unknown
	}
	if krakenPresent(d.IPAllowlist) {
		var entries []json.RawMessage
		if err := json.Unmarshal(d.IPAllowlist, &entries); err != nil {
			return KeyInfo{}, errors.New("ipAllowlist is not a list")
		}
		ki.Whitelist = []string{}
		for _, e := range entries {
			var s string
			if json.Unmarshal(e, &s) != nil {
				s = string(e) // an object or number: keep it verbatim rather than drop it
			}
			if s = strings.TrimSpace(s); s != "" {
				ki.Whitelist = append(ki.Whitelist, s)
			}
		}
		ki.IPRestricted = TriOf(len(ki.Whitelist) > 0)
	}
	var err error
	if ki.CreatedAt, err = krakenUnix(d.CreatedTime); err != nil {
		return KeyInfo{}, errors.New("createdTime is not unix seconds")
	}
	if ki.ExpiresAt, err = krakenUnix(d.ValidUntil); err != nil {
		return KeyInfo{}, errors.New("validUntil is not unix seconds")
	}
	ki.ModifiedAt, _ = krakenUnix(d.ModifiedTime)
	ki.LastUsedAt, _ = krakenUnix(d.LastUsed)
	return ki, nil
}

// krakenPresent reports whether a field was sent with a non-null value.
func krakenPresent(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s != "" && s != "null"
}

// krakenUnix reads unix seconds given as a string or a number; absent, null,
// "" and "0" are the zero time.
func krakenUnix(raw json.RawMessage) (time.Time, error) {
	if !krakenPresent(raw) {
		return time.Time{}, nil
	}
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	if s == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	if n <= 0 {
		return time.Time{}, nil
	}
	return time.Unix(n, 0).UTC(), nil
}

// ---- error classification ----

// krakenCodes are Kraken's documented error strings (an entry of "error").
var krakenCodes = map[string]Cause{
	"EAPI:Invalid nonce": CauseClock, "EGeneral:Permission denied": CausePermission,
	"EAPI:Invalid signature": CauseSignature, "EAPI:Invalid key": CauseKey,
	"EGeneral:Temporary lockout": CauseKey, "EAPI:Rate limit exceeded": CauseRateLimit,
	"EOrder:Rate limit exceeded": CauseRateLimit, "EGeneral:Too many requests": CauseRateLimit,
	"EService:Unavailable": CauseServer, "EService:Busy": CauseServer,
}

// do sends req and returns the result object. Kraken reports errors with
// HTTP 200 in the error array ({"error":["EAPI:Invalid key"],"result":{}});
// the first one is classified by ClassifyCode, then the HTTP status decides.
// 418 and 429 come back at once with Retry-After, never retried here.
func (k *kraken) do(ctx context.Context, op string, req *http.Request, creds keystore.Item) (*Response, json.RawMessage, error) {
	r, err := Do(ctx, k.hc, krakenName, op, req)
	if err != nil {
		return nil, nil, err
	}
	var env struct {
		Error  []string        `json:"error"`
		Result json.RawMessage `json:"result"`
	}
	jsonErr := json.Unmarshal(r.Body, &env)
	ok2xx := r.Status >= 200 && r.Status < 300
	switch {
	case jsonErr != nil && !ok2xx:
		return nil, nil, StatusError(krakenName, op, r, "", "", CauseNone)
	case jsonErr != nil:
		return nil, nil, MalformedError(krakenName, op, r, jsonErr)
	case len(krakenErrors(env.Error)) > 0:
		code := krakenCode(RedactCreds(krakenErrors(env.Error)[0], creds))
		msg := code
		if i := strings.IndexByte(code, ':'); i >= 0 {
			msg = code[i+1:]
		}
		return nil, nil, StatusError(krakenName, op, r, code, msg, ClassifyCode(krakenName, code))
	case !ok2xx:
		return nil, nil, StatusError(krakenName, op, r, "", "", CauseNone)
	case !krakenPresent(env.Result):
		return nil, nil, MalformedError(krakenName, op, r, errors.New("no result and no error in the answer"))
	}
	return r, env.Result, nil
}

// krakenErrors drops warnings from Kraken's error array: entries are
// "<severity><category>:<message>", severity E (error) or W (warning), and a
// warning comes with a valid result.
func krakenErrors(entries []string) []string {
	var errs []string
	for _, e := range entries {
		if !strings.HasPrefix(strings.TrimSpace(e), "W") {
			errs = append(errs, e)
		}
	}
	return errs
}

// krakenCode reduces an error string to the code ClassifyCode knows:
// "EGeneral:Invalid arguments:nonce" → "EGeneral:Invalid arguments" when the
// full string is not itself a known code.
func krakenCode(e string) string {
	e = strings.TrimSpace(e)
	if ClassifyCode(krakenName, e) != CauseNone {
		return e
	}
	if parts := strings.SplitN(e, ":", 3); len(parts) == 3 {
		return parts[0] + ":" + parts[1]
	}
	return e
}
