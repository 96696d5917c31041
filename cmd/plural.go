package cmd

import "fmt"

// plural counts n of word: "1 warning", "2 warnings", "0 auth failures".
// Every count keywarden prints goes through it.
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
