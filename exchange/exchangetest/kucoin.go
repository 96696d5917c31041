package exchangetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// KuCoinKeyInfo is the data object of KuCoin's GET /api/v1/user/api-key,
// field for field. Permission and IPWhitelist are comma-separated strings
// ("General,Spot,Transfer"; "203.**.154,103.**.34" — KuCoin masks the
// middle of each address).
type KuCoinKeyInfo struct {
	Remark      string `json:"remark"`
	APIKey      string `json:"apiKey"`
	APIVersion  int    `json:"apiVersion"`
	Permission  string `json:"permission"`
	IPWhitelist string `json:"ipWhitelist,omitempty"`
	CreatedAt   int64  `json:"createdAt"`
	UID         int64  `json:"uid"`
	IsMaster    bool   `json:"isMaster"`
	SubName     string `json:"subName,omitempty"`
}

// KuCoinKey is one API key the KuCoin fake knows.
type KuCoinKey struct {
	Key        string
	Secret     string
	Passphrase string // as the user typed it; the client sends it HMAC'd (key version 2/3)
	// Info is what GET /api/v1/user/api-key answers. APIKey defaults to Key,
	// APIVersion to 3, CreatedAt to now. IPWhitelist is also enforced: an
	// entry is an IP, a CIDR or a masked pattern ("203.**.154" matches any
	// address starting "203." and ending ".154").
	Info KuCoinKeyInfo
}

// KuCoin is a fake KuCoin spot REST API: GET /api/v1/timestamp and the signed
// GET /api/v1/user/api-key, /api/v1/orders, /api/v1/withdrawals and
// /api/v1/deposits (one classic account's history, filled by AddOrder and
// AddMovement), and the HF account's /api/v1/hf/orders/done, /active and
// /active/symbols, /api/v1/hf/accounts/ledgers and
// /api/v1/accounts?type=trade_hf (AddHFOrder, SetHFBalance), verified as
// KuCoin does: KC-API-SIGN =
// base64(HMAC-SHA256(secret, timestamp+METHOD+path+body)), the passphrase
// HMAC'd with the secret for keys of version 2 and 3 (Info.APIVersion, sent
// as KC-API-KEY-VERSION), plain for version 1, timestamp
// within 5 s of the server clock, caller IP on the whitelist.
type KuCoin struct {
	Base

	keys keyring[KuCoinKey]
	hist kucoinHistory
}

// NewKuCoin starts a KuCoin fake on loopback that knows keys. Close it.
func NewKuCoin(keys ...KuCoinKey) *KuCoin {
	f := &KuCoin{}
	for _, k := range keys {
		f.SetKey(k)
	}
	f.Faults.RateLimitBody = func(FaultKind) []byte {
		return []byte(`{"code":"429000","msg":"Too Many Requests"}`)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/timestamp", f.serverTime)
	mux.HandleFunc("GET /api/v1/user/api-key", f.apiKey)
	mux.HandleFunc("GET /api/v1/orders", f.orders)
	mux.HandleFunc("GET /api/v1/withdrawals", f.movements(false))
	mux.HandleFunc("GET /api/v1/deposits", f.movements(true))
	mux.HandleFunc("GET /api/v1/accounts", f.accounts)
	mux.HandleFunc("GET /api/v1/hf/orders/done", f.hfDone)
	mux.HandleFunc("GET /api/v1/hf/orders/active", f.hfActive)
	mux.HandleFunc("GET /api/v1/hf/orders/active/symbols", f.hfActiveSymbols)
	mux.HandleFunc("GET /api/v1/hf/accounts/ledgers", f.hfLedger)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		f.reply(w, http.StatusNotFound, "404000", "Url Not Found", nil)
	})
	f.start(mux)
	return f
}

// SetKey adds or replaces a key (by Key).
func (f *KuCoin) SetKey(k KuCoinKey) {
	if k.Info.APIKey == "" {
		k.Info.APIKey = k.Key
	}
	if k.Info.APIVersion == 0 {
		k.Info.APIVersion = 3
	}
	if k.Info.CreatedAt == 0 {
		k.Info.CreatedAt = time.Now().UnixMilli()
	}
	f.keys.put(k.Key, k)
}

// RemoveKey forgets a key (a revoked key then gets 400003).
func (f *KuCoin) RemoveKey(key string) {
	f.keys.remove(key)
}

func (f *KuCoin) serverTime(w http.ResponseWriter, _ *http.Request) {
	f.reply(w, http.StatusOK, "200000", "success", f.Now().UnixMilli())
}

func (f *KuCoin) apiKey(w http.ResponseWriter, r *http.Request) {
	k, ok := f.verify(w, r)
	if !ok {
		return
	}
	f.reply(w, http.StatusOK, "200000", "", k.Info)
}

// verify authenticates r as KuCoin does and writes the rejection itself, with
// KuCoin's code, message and HTTP status.
func (f *KuCoin) verify(w http.ResponseWriter, r *http.Request) (KuCoinKey, bool) {
	h := r.Header
	key, sign, stamp, pass := h.Get("KC-API-KEY"), h.Get("KC-API-SIGN"), h.Get("KC-API-TIMESTAMP"), h.Get("KC-API-PASSPHRASE")
	if key == "" || sign == "" || stamp == "" || pass == "" {
		f.reply(w, http.StatusUnauthorized, "400001",
			"Please check the header of your request for KC-API-KEY, KC-API-SIGN, KC-API-TIMESTAMP, KC-API-PASSPHRASE", nil)
		return KuCoinKey{}, false
	}
	k, known := f.keys.key(key)
	if !known {
		f.reply(w, http.StatusUnauthorized, "400003", "KC-API-KEY not exists", nil)
		return KuCoinKey{}, false
	}
	ts, err := strconv.ParseInt(stamp, 10, 64)
	if d := time.Duration(f.Now().UnixMilli()-ts) * time.Millisecond; err != nil || d >= 5*time.Second || d <= -5*time.Second {
		f.reply(w, http.StatusBadRequest, "400002", "Invalid KC-API-TIMESTAMP", nil)
		return KuCoinKey{}, false
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	endpoint := r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		endpoint += "?" + r.URL.RawQuery
	}
	if !hmac.Equal([]byte(sign), []byte(kucoinHMAC(k.Secret, stamp+r.Method+endpoint+string(body)))) {
		f.reply(w, http.StatusUnauthorized, "400005", "Invalid KC-API-SIGN", nil)
		return KuCoinKey{}, false
	}
	// The key's own version decides how its passphrase is sent: a v2 or v3
	// key needs the HMAC'd passphrase and a version header saying 2 or 3; a
	// v1 key the plain passphrase (and no version, or 1).
	wantPass, v := k.Passphrase, h.Get("KC-API-KEY-VERSION")
	versionOK := v == "" || v == "1"
	if k.Info.APIVersion >= 2 {
		wantPass, versionOK = kucoinHMAC(k.Secret, k.Passphrase), v == "2" || v == "3"
	}
	if !versionOK || !hmac.Equal([]byte(pass), []byte(wantPass)) {
		f.reply(w, http.StatusUnauthorized, "400004", "Invalid KC-API-PASSPHRASE", nil)
		return KuCoinKey{}, false
	}
	if !kucoinAllowed(f.CallerIP(r), k.Info.IPWhitelist) {
		f.reply(w, http.StatusForbidden, "400006", "Invalid request ip", nil)
		return KuCoinKey{}, false
	}
	return k, true
}

func kucoinHMAC(secret, msg string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// kucoinAllowed judges ip against KuCoin's comma-separated whitelist, where
// an entry may be masked: the part before the first '*' must be a prefix of
// the address and the part after the last '*' a suffix.
func kucoinAllowed(ip netip.Addr, whitelist string) bool {
	var exact []string
	restricted := false
	for _, e := range strings.Split(whitelist, ",") {
		if e = strings.TrimSpace(e); e == "" {
			continue
		}
		restricted = true
		i, j := strings.IndexByte(e, '*'), strings.LastIndexByte(e, '*')
		if i < 0 {
			exact = append(exact, e)
			continue
		}
		s, pre, suf := ip.String(), e[:i], e[j+1:]
		if len(s) > len(pre)+len(suf) && strings.HasPrefix(s, pre) && strings.HasSuffix(s, suf) {
			return true
		}
	}
	if !restricted {
		return true
	}
	return len(exact) > 0 && Allowed(ip, exact)
}

func (f *KuCoin) reply(w http.ResponseWriter, status int, code, msg string, data any) {
	v := map[string]any{"code": code}
	if msg != "" {
		v["msg"] = msg
	}
	if data != nil {
		v["data"] = data
	}
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("gw-ratelimit-limit", "2000")
	w.Header().Set("gw-ratelimit-remaining", "1999")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
