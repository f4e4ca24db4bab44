// Command tongban runs the Tongban government-services platform. See
// `tongban help` for the subcommands.
package main

import (
	"os"

	"github.com/tongban/tongban/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}
