package ledger

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/tongban/tongban/internal/db"
)

// TileHeight is the height of c2sp.org/tlog-tiles tiles: 256 hashes wide.
const TileHeight = 8

// ErrBadPath is returned for a tile path that is not in the canonical form
// c2sp.org/tlog-tiles gives.
var ErrBadPath = errors.New("ledger: malformed tile path")

// ParseTilePath reads a c2sp.org/tlog-tiles path, "tile/<L>/<N>[.p/<W>]"
// or "tile/entries/<N>[.p/<W>]", into a tlog tile of height 8 (entry
// bundles have L = -1). Only the canonical spelling is accepted: no
// leading zeros, no full width written as partial.
func ParseTilePath(p string) (tlog.Tile, error) {
	rest, ok := strings.CutPrefix(p, "tile/")
	if !ok {
		return tlog.Tile{}, ErrBadPath
	}
	if r, ok := strings.CutPrefix(rest, "entries/"); ok {
		rest = "data/" + r
	} else if strings.HasPrefix(rest, "data/") {
		return tlog.Tile{}, ErrBadPath
	}
	// tlog's own tile paths carry the height: tile/8/L/N.
	t, err := tlog.ParseTilePath(fmt.Sprintf("tile/%d/%s", TileHeight, rest))
	if err != nil || t.L > 63 {
		return tlog.Tile{}, ErrBadPath
	}
	return t, nil
}

// TilePath is the c2sp.org/tlog-tiles path of a tile of height 8.
func TilePath(t tlog.Tile) string {
	p := strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", TileHeight))
	if rest, ok := strings.CutPrefix(p, "data/"); ok {
		return "tile/entries/" + rest
	}
	return "tile/" + p
}

// inTree reports whether all of tile t's hashes (or entries) exist in a
// tree of size n.
func inTree(t tlog.Tile, n int64) bool {
	level := t.L
	if level < 0 {
		level = 0
	}
	shift := uint(TileHeight * level)
	if shift >= 63 {
		return false
	}
	nodes := n >> shift // complete subtrees at this tile level's height
	if t.N > nodes>>TileHeight {
		return false
	}
	return t.N<<TileHeight+int64(t.W) <= nodes
}

// ReadTile returns a tile's hashes, or an entry bundle for L = -1
// (big-endian uint16 length-prefixed entries). A tile the integrated tree
// does not (yet) cover is db.ErrNotFound.
func (l *Log) ReadTile(ctx context.Context, t tlog.Tile) ([]byte, error) {
	tree, err := l.CurrentTree(ctx)
	if err != nil {
		return nil, err
	}
	if t.H != TileHeight || !inTree(t, tree.N) {
		return nil, fmt.Errorf("ledger: tile %s: %w", TilePath(t), db.ErrNotFound)
	}
	if t.L >= 0 {
		data, err := newTileStore(ctx, l.DB.Read()).ReadTiles([]tlog.Tile{t})
		if err != nil {
			return nil, err
		}
		return data[0], nil
	}
	// The bundle's entries follow the key that ends the range before the
	// bundle's first entry; ranges never cross a bundle boundary.
	start := t.N << TileHeight
	rows, err := l.DB.Read().QueryContext(ctx, `SELECT e.body FROM ledger_ranges r JOIN ledger_entries e ON e.ord > r.lo
		WHERE r.first_idx = $1 ORDER BY e.ord LIMIT $2`, start, t.W)
	if err != nil {
		return nil, fmt.Errorf("ledger: entries: %w", err)
	}
	defer rows.Close()
	var out []byte
	k := 0
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		k++
		out = binary.BigEndian.AppendUint16(out, uint16(len(body)))
		out = append(out, body...)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if k != t.W {
		return nil, fmt.Errorf("ledger: entry bundle %d holds %d entries, want %d", t.N, k, t.W)
	}
	return out, nil
}

// SplitBundle splits an entry bundle into its entries.
func SplitBundle(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 2 {
			return nil, errors.New("ledger: truncated entry bundle")
		}
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			return nil, errors.New("ledger: truncated entry bundle")
		}
		out = append(out, b[2:2+n])
		b = b[2+n:]
	}
	return out, nil
}
