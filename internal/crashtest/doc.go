// Package crashtest holds tests that run the tongban binary as real server
// processes: one is killed with SIGKILL in the middle of applicants'
// submissions and staff decisions, and the store it leaves is checked for
// half-made applications, lost acknowledged work and steps in two states;
// two others share one PostgreSQL database while their warning scanners
// mark late tasks, each exactly once.
//
// The package has no code outside its tests. The tests build the binary
// once (go build of cmd/tongban) and run on SQLite and PostgreSQL like the
// store tests (package db/dbtest).
package crashtest
