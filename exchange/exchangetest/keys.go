package exchangetest

import "sync"

// keyring is the set of API keys a fake knows, safe for concurrent use:
// tests add and revoke keys while requests are served.
type keyring[K any] struct {
	mu   sync.Mutex
	keys map[string]K
}

func (r *keyring[K]) put(id string, k K) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.keys == nil {
		r.keys = map[string]K{}
	}
	r.keys[id] = k
}

func (r *keyring[K]) remove(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.keys, id)
}

func (r *keyring[K]) key(id string) (K, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k, ok := r.keys[id]
	return k, ok
}
