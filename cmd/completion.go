package cmd

import (
	"github.com/spf13/cobra"
)

func newCompletionCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print a shell completion script",
		Long: `Print the completion script for your shell. Load it with, for example:

  bash:  source <(keywarden completion bash)
         or: keywarden completion bash > /etc/bash_completion.d/keywarden
  zsh:   keywarden completion zsh > "${fpath[1]}/_keywarden"
  fish:  keywarden completion fish > ~/.config/fish/completions/keywarden.fish

Profile names complete from the config file.`,
		ValidArgs: []string{"bash", "zsh", "fish"},
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("usage: keywarden completion bash|zsh|fish")
			}
			return nil
		},
		DisableFlagsInUseLine: true,
		RunE: func(c *cobra.Command, args []string) error {
			root := c.Root()
			out := app.Stdout
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			}
			return usageError("unknown shell %q: use bash, zsh or fish", args[0])
		},
	}
}

// completeProfiles completes the first argument with profile names from the
// config file. Other commands taking a profile name can use it too.
func completeProfiles(app *App) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveDefault
		}
		cfg, err := app.LoadConfig()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names := make([]string, 0, len(cfg.Profiles))
		for _, p := range cfg.Profiles {
			names = append(names, p.Name+"\t"+p.Exchange)
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}
