// Package alerttype is the table of notifier types an [[alert]] block can
// name, with what each type needs of its block. It imports nothing of
// keywarden's, so config checks a block where it reads it (and can say the
// file, line and field) and alert builds each notifier after the same
// rules; alert's tests fail when a type here has no notifier there, or the
// other way round.
package alerttype

import "strconv"

// Block is what a type's rules read of one [[alert]] block.
type Block struct {
	URL      string // url; Check fills in the type's default
	ChatID   string // chat_id
	HasToken bool   // token names a keystore item (its value is never seen here)
}

// Problem is a block a type refuses: the field at fault and what to do
// about it. Msg never holds a field's value: a url can be a credential.
type Problem struct {
	Field string
	Msg   string
}

// Type is one notifier type.
type Type struct {
	Name       string // as written in `[[alert]] type`
	DefaultURL string // used when the block has no url; "" for none
	needs      func(t Type, b Block) *Problem
}

// Check applies the type's default url to b and refuses a block the type
// cannot deliver with.
func (t Type) Check(b *Block) *Problem {
	if b.URL == "" {
		b.URL = t.DefaultURL
	}
	return t.needs(t, *b)
}

// all is every notifier type, in the order the docs and help list them.
var all = []Type{
	{Name: "webhook", needs: needURL},
	{Name: "slack", needs: needWebhookURL},
	{Name: "discord", needs: needWebhookURL},
	{Name: "telegram", DefaultURL: "https://api.telegram.org", needs: needChatID},
	{Name: "ntfy", needs: needURL},
}

// Names lists the types, in order.
func Names() []string {
	names := make([]string, len(all))
	for i, t := range all {
		names[i] = t.Name
	}
	return names
}

// Lookup returns the type called name, or false.
func Lookup(name string) (Type, bool) {
	for _, t := range all {
		if t.Name == name {
			return t, true
		}
	}
	return Type{}, false
}

func needURL(t Type, b Block) *Problem {
	if b.URL == "" {
		return &Problem{Field: "url", Msg: "`url` is required for " + t.Name + " alerts"}
	}
	return nil
}

// needWebhookURL: Slack's and Discord's webhook URL is itself the
// credential, so it normally comes from the keystore item named in token;
// a url in the config is used when no token is given.
func needWebhookURL(_ Type, b Block) *Problem {
	if b.URL == "" && !b.HasToken {
		return &Problem{Field: "token", Msg: "no webhook URL: store it as the api_secret of a keystore item and name that item in `token`"}
	}
	return nil
}

func needChatID(t Type, b Block) *Problem {
	if b.ChatID == "" {
		return &Problem{Field: "chat_id", Msg: t.Name + " needs `chat_id`"}
	}
	return nil
}

// Named is what the rules over all blocks read of one [[alert]] block.
type Named struct {
	Type     string
	Name     string // name; "" for the default
	Fallback string // fallback; "" for none
}

// NotifierNames are the blocks' notifier names, as logs, metric labels,
// `fallback` and `keywarden alert test NAME` use them: a block's `name`,
// else its type, numbered when the type repeats ("webhook-1", "webhook-2").
func NotifierNames(bs []Named) []string {
	count := map[string]int{}
	for _, b := range bs {
		if b.Name == "" {
			count[b.Type]++
		}
	}
	seen := map[string]int{}
	out := make([]string, len(bs))
	for i, b := range bs {
		switch {
		case b.Name != "":
			out[i] = b.Name
		case count[b.Type] > 1:
			seen[b.Type]++
			out[i] = b.Type + "-" + strconv.Itoa(seen[b.Type])
		default:
			out[i] = b.Type
		}
	}
	return out
}

// CheckSet refuses a set of blocks whose names clash or whose fallbacks do
// not resolve: it returns the index of the first block at fault, or -1. A
// fallback names another block, which gets no alerts of its own and has no
// fallback itself (a chain would hide which receiver is really down).
func CheckSet(bs []Named) (int, *Problem) {
	names := NotifierNames(bs)
	at := map[string]int{}
	for i, n := range names {
		if j, dup := at[n]; dup {
			return i, &Problem{Field: "name", Msg: "notifier name " + strconv.Quote(n) + " is also the name of alert #" + strconv.Itoa(j+1) + ": give each a distinct `name`"}
		}
		at[n] = i
	}
	for i, b := range bs {
		if b.Fallback == "" {
			continue
		}
		j, ok := at[b.Fallback]
		switch {
		case !ok:
			return i, &Problem{Field: "fallback", Msg: "`fallback` names no notifier: use the `name` of another [[alert]] block (or its type, numbered when repeated)"}
		case j == i:
			return i, &Problem{Field: "fallback", Msg: "a notifier cannot be its own fallback"}
		case bs[j].Fallback != "":
			return i, &Problem{Field: "fallback", Msg: "the fallback notifier has a fallback of its own: fallbacks do not chain"}
		}
	}
	return -1, nil
}

// FallbackOnly reports which blocks are another's fallback: they get only
// what that one could not deliver.
func FallbackOnly(bs []Named) []bool {
	names := NotifierNames(bs)
	out := make([]bool, len(bs))
	for i, n := range names {
		for _, b := range bs {
			if b.Fallback == n {
				out[i] = true
			}
		}
	}
	return out
}
