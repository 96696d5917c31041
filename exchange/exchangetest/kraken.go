package exchangetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// KrakenKeyInfo is the result of Kraken's POST /0/private/GetApiKeyInfo,
// field for field. Times are unix seconds as strings; ValidUntil "0" means
// no expiry; IPAllowlist nil is sent as [] (no restriction).
type KrakenKeyInfo struct {
	APIKeyName   string   `json:"apiKeyName"`
	APIKey       string   `json:"apiKey"`
	Nonce        string   `json:"nonce"`
	NonceWindow  int      `json:"nonceWindow"`
	Permissions  []string `json:"permissions"`
	IBAN         string   `json:"iban"`
	ValidUntil   string   `json:"validUntil"`
	QueryFrom    string   `json:"queryFrom"`
	QueryTo      string   `json:"queryTo"`
	CreatedTime  string   `json:"createdTime"`
	ModifiedTime string   `json:"modifiedTime"`
	IPAllowlist  []string `json:"ipAllowlist"`
	LastUsed     *string  `json:"lastUsed"`
}

// KrakenKey is one API key the Kraken fake knows.
type KrakenKey struct {
	Key    string // API-Key header
	Secret string // base64, as Kraken shows the private key
	// Info is what GetApiKeyInfo answers. APIKey defaults to Key,
	// ValidUntil/QueryFrom/QueryTo to "0", CreatedTime/ModifiedTime to now.
	// Info.Nonce, when set, is the last nonce already used with the key (a
	// previous run whose clock was ahead, say): the next must be greater.
	// IPAllowlist is enforced.
	Info KrakenKeyInfo
}

// Kraken is a fake Kraken spot REST API: GET /0/public/Time and POST
// /0/private/GetApiKeyInfo, ClosedOrders, OpenOrders, WithdrawStatus and
// DepositStatus (one account's history, filled by AddOrder and
// AddMovement; each needs its query permission), verified as Kraken does: API-Sign =
// base64(HMAC-SHA512(base64dec(secret), path + SHA256(nonce + POST data))),
// the nonce strictly greater than the last one accepted for the key, the
// caller IP on the key's allowlist. Errors come with HTTP 200 in the error
// array, as on the real exchange.
type Kraken struct {
	Base

	hist krakenHistory

	mu        sync.Mutex
	keys      map[string]KrakenKey
	lastNonce map[string]uint64
}

// NewKraken starts a Kraken fake on loopback that knows keys. Close it.
func NewKraken(keys ...KrakenKey) *Kraken {
	f := &Kraken{keys: map[string]KrakenKey{}, lastNonce: map[string]uint64{}}
	for _, k := range keys {
		f.SetKey(k)
	}
	f.Faults.RateLimitBody = func(k FaultKind) []byte {
		if k == Banned {
			return []byte(`{"error":["EGeneral:Too many requests"]}`)
		}
		return []byte(`{"error":["EAPI:Rate limit exceeded"]}`)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /0/public/Time", f.serverTime)
	mux.HandleFunc("POST /0/private/GetApiKeyInfo", f.apiKeyInfo)
	mux.HandleFunc("POST /0/private/ClosedOrders", f.closedOrders)
	mux.HandleFunc("POST /0/private/OpenOrders", f.openOrders)
	mux.HandleFunc("POST /0/private/WithdrawStatus", f.status(false))
	mux.HandleFunc("POST /0/private/DepositStatus", f.status(true))
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		f.reply(w, []string{"EGeneral:Unknown method"}, map[string]any{})
	})
	f.start(mux)
	return f
}

// SetKey adds or replaces a key (by Key).
func (f *Kraken) SetKey(k KrakenKey) {
	now := strconv.FormatInt(time.Now().Unix(), 10)
	i := &k.Info
	if i.APIKey == "" {
		i.APIKey = k.Key
	}
	for _, s := range []*string{&i.ValidUntil, &i.QueryFrom, &i.QueryTo} {
		if *s == "" {
			*s = "0"
		}
	}
	for _, s := range []*string{&i.CreatedTime, &i.ModifiedTime} {
		if *s == "" {
			*s = now
		}
	}
	if i.Permissions == nil {
		i.Permissions = []string{}
	}
	if i.IPAllowlist == nil {
		i.IPAllowlist = []string{}
	}
	last, _ := strconv.ParseUint(i.Nonce, 10, 64)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys[k.Key] = k
	f.lastNonce[k.Key] = last
}

// SetModifiedTime records an edit of key at t, as saving the key's
// settings on Kraken does: GetApiKeyInfo answers modifiedTime t from now
// on, and nothing else about the key changes.
func (f *Kraken) SetModifiedTime(key string, t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if k, ok := f.keys[key]; ok {
		k.Info.ModifiedTime = strconv.FormatInt(t.Unix(), 10)
		f.keys[key] = k
	}
}

// RemoveKey forgets a key (a revoked key then gets EAPI:Invalid key).
func (f *Kraken) RemoveKey(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.keys, key)
	delete(f.lastNonce, key)
}

func (f *Kraken) serverTime(w http.ResponseWriter, _ *http.Request) {
	now := f.Now().UTC()
	f.reply(w, []string{}, map[string]any{"unixtime": now.Unix(), "rfc1123": now.Format("Mon, 02 Jan 06 15:04:05 -0700")})
}

func (f *Kraken) apiKeyInfo(w http.ResponseWriter, r *http.Request) {
	info, errCode := f.verify(r)
	if errCode != "" {
		f.reply(w, []string{errCode}, map[string]any{})
		return
	}
	f.reply(w, []string{}, info)
}

// verify authenticates r as Kraken does and returns the key's info with its
// nonce and lastUsed updated, or Kraken's error string.
func (f *Kraken) verify(r *http.Request) (KrakenKeyInfo, string) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	f.mu.Lock()
	defer f.mu.Unlock()
	k, known := f.keys[r.Header.Get("API-Key")]
	if !known {
		return KrakenKeyInfo{}, "EAPI:Invalid key"
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return KrakenKeyInfo{}, "EGeneral:Invalid arguments"
	}
	nonceText := form.Get("nonce")
	secret, err := base64.StdEncoding.DecodeString(k.Secret)
	if err != nil {
		return KrakenKeyInfo{}, "EAPI:Invalid key"
	}
	sum := sha256.Sum256([]byte(nonceText + string(body)))
	m := hmac.New(sha512.New, secret)
	m.Write([]byte(r.URL.EscapedPath()))
	m.Write(sum[:])
	want := base64.StdEncoding.EncodeToString(m.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(r.Header.Get("API-Sign"))) {
		return KrakenKeyInfo{}, "EAPI:Invalid signature"
	}
	nonce, err := strconv.ParseUint(nonceText, 10, 64)
	if err != nil || nonce <= f.lastNonce[k.Key] {
		return KrakenKeyInfo{}, "EAPI:Invalid nonce"
	}
	f.lastNonce[k.Key] = nonce
	if !Allowed(f.CallerIP(r), k.Info.IPAllowlist) {
		return KrakenKeyInfo{}, "EGeneral:Permission denied"
	}
	info := k.Info
	info.Nonce = nonceText
	used := strconv.FormatInt(f.Now().Unix(), 10)
	info.LastUsed = &used
	k.Info.LastUsed = &used
	f.keys[k.Key] = k
	return info, ""
}

func (f *Kraken) reply(w http.ResponseWriter, errs []string, result any) {
	v := map[string]any{"error": errs}
	if len(errs) == 0 {
		v["result"] = result
	}
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
