package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/witness"
)

// witnessClients builds the clients of the configured witnesses.
func witnessClients(cfg *config.Config) ([]*witness.Client, error) {
	var out []*witness.Client
	hc := &http.Client{Timeout: 10 * time.Second}
	for _, w := range cfg.LedgerWitnesses {
		f := strings.Fields(w)
		v, err := witness.NewVerifier(f[1])
		if err != nil {
			return nil, err
		}
		out = append(out, &witness.Client{URL: f[0], Verifier: v, HTTP: hc})
	}
	return out, nil
}

// cosign submits the latest checkpoint to the witnesses. A witness that is
// down or refuses is logged; the log goes on without its cosignature.
func cosign(ctx context.Context, l *ledger.Log, clients []*witness.Client, log *slog.Logger) error {
	err := witness.CosignLatest(ctx, l, clients)
	switch {
	case err == nil || ctx.Err() != nil:
	case errors.Is(err, witness.ErrRefused):
		log.Error("ledger: a witness REFUSED the log's checkpoint as inconsistent with one it cosigned before: the log was forked, restored from an old backup, or its key used elsewhere", "err", err)
	default:
		log.Warn("ledger: witness", "err", err)
	}
	return nil
}

// runWitness runs a witness (c2sp.org/tlog-witness) for the logs whose
// verifier keys it is given, until ctx ends.
func runWitness(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tongban witness", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	host, _ := os.Hostname()
	listen := fs.String("listen", env("TONGBAN_WITNESS_LISTEN", "127.0.0.1:8090"), "address to listen on (TONGBAN_WITNESS_LISTEN)")
	dir := fs.String("data", env("TONGBAN_WITNESS_DATA_DIR", "tongban-witness"), "directory for the witness key and the latest cosigned checkpoints (TONGBAN_WITNESS_DATA_DIR)")
	name := fs.String("name", env("TONGBAN_WITNESS_NAME", host+"/witness"), "the witness's name, for a new key: a schema-less URL (TONGBAN_WITNESS_NAME)")
	prefix := fs.String("prefix", env("TONGBAN_WITNESS_PREFIX", ""), "submission prefix path; requests go to PREFIX/add-checkpoint (TONGBAN_WITNESS_PREFIX)")
	logKeys := env("TONGBAN_WITNESS_LOGS", "")
	fs.Func("log", "a log's verifier key (as its /ledger/key serves them); repeatable (TONGBAN_WITNESS_LOGS, separated by spaces or newlines)", func(s string) error {
		logKeys += "\n" + s
		return nil
	})
	fs.Func("logs-file", "a file of logs' verifier keys, one a line (e.g. a saved /ledger/key)", func(p string) error {
		b, err := os.ReadFile(p)
		logKeys += "\n" + string(b)
		return err
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	logs, err := witness.LogKeys(logKeys)
	if err != nil {
		return err
	}
	if len(logs) == 0 {
		return errors.New("witness: give the logs to witness with -log KEY, -logs-file FILE or TONGBAN_WITNESS_LOGS")
	}
	skey, created, err := witnessKey(*dir, *name, getenv)
	if err != nil {
		return err
	}
	signer, err := witness.NewSigner(skey)
	if err != nil {
		return err
	}
	vkey, err := witness.VerifierKey(skey)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if created {
		log.Info("witness: created a new key; back it up", "file", filepath.Join(*dir, "witness.key"))
	}
	w := &witness.Witness{Signer: signer, Logs: logs, Store: &witness.FileStore{Dir: *dir}, Log: log}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: w.Handler(*prefix), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	fmt.Fprintf(stdout, "Witness %s is serving POST http://%s%s/add-checkpoint\nVerifier key (give it to the logs): %s\nLogs:", signer.Name(), ln.Addr(), strings.TrimRight(*prefix, "/"), vkey)
	for origin := range logs {
		fmt.Fprintf(stdout, " %s", origin)
	}
	fmt.Fprintln(stdout)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return hs.Shutdown(shutdown)
}

// witnessKey reads the witness's private key from TONGBAN_WITNESS_KEY(_FILE)
// or <dir>/witness.key, creating the file (mode 0600) at first start.
func witnessKey(dir, name string, getenv func(string) string) (string, bool, error) {
	if k := getenv("TONGBAN_WITNESS_KEY"); k != "" {
		return strings.TrimSpace(k), false, nil
	}
	if p := getenv("TONGBAN_WITNESS_KEY_FILE"); p != "" {
		b, err := os.ReadFile(p)
		return strings.TrimSpace(string(b)), false, err
	}
	path := filepath.Join(dir, "witness.key")
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", false, err
	}
	skey, _, err := witness.GenerateKey(name)
	if err != nil {
		return "", false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", false, err
	}
	if _, err := f.WriteString(skey + "\n"); err != nil {
		f.Close()
		return "", false, err
	}
	return skey, true, f.Close()
}
