package db

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrSchemaOutOfDate is returned by [DB.CheckSchema] when migrations are
// pending: the server must not run on an old schema.
var ErrSchemaOutOfDate = errors.New("db: schema is out of date: run `tongban migrate` (or serve with --migrate)")

func (d *DB) provider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var opts []goose.ProviderOption
	dialect := goose.DialectSQLite3
	if d.Dialect == Postgres {
		dialect = goose.DialectPostgres
		// Several nodes may start at once; an advisory lock keeps them
		// from applying the same migration twice.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	opts = append(opts, goose.WithGoMigrations(ledgerTilesMigration(d.Dialect)))
	return goose.NewProvider(dialect, d.write, sub, opts...)
}

// Migrate applies every pending migration, each in its own transaction, and
// returns the versions applied.
func (d *DB) Migrate(ctx context.Context) ([]int64, error) {
	return d.MigrateTo(ctx, math.MaxInt64)
}

// MigrateTo applies the pending migrations up to and including version,
// each in its own transaction, and returns the versions applied. It lets
// an upgrade be taken in steps and tests build a store as an older
// release left it.
func (d *DB) MigrateTo(ctx context.Context, version int64) ([]int64, error) {
	p, err := d.provider()
	if err != nil {
		return nil, fmt.Errorf("db: migrations: %w", err)
	}
	res, err := p.UpTo(ctx, version)
	if err != nil {
		return nil, fmt.Errorf("db: migrate: %w", err)
	}
	var applied []int64
	for _, r := range res {
		applied = append(applied, r.Source.Version)
	}
	return applied, nil
}

// SchemaVersion returns the applied and the latest known migration version.
func (d *DB) SchemaVersion(ctx context.Context) (current, latest int64, err error) {
	p, err := d.provider()
	if err != nil {
		return 0, 0, fmt.Errorf("db: migrations: %w", err)
	}
	return p.GetVersions(ctx)
}

// CheckSchema returns ErrSchemaOutOfDate when migrations are pending.
func (d *DB) CheckSchema(ctx context.Context) error {
	cur, latest, err := d.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if cur < latest {
		return fmt.Errorf("%w (database at version %d, this binary needs %d)", ErrSchemaOutOfDate, cur, latest)
	}
	if cur > latest {
		return fmt.Errorf("db: database schema version %d is newer than this binary knows (%d): upgrade tongban", cur, latest)
	}
	return nil
}
