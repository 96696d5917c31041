// Command keywarden is a terminal dashboard and pre-launch gate for the API
// keys of trading bots. See README.md.
package main

import (
	"os"

	"github.com/keywarden/keywarden/cmd"
)

func main() {
	os.Exit(cmd.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
