// Package pgconn is a stand-in for github.com/jackc/pgx/v5/pgconn: the
// low-level types pgx returns.
package pgconn

import (
	"strconv"
	"strings"
)

// CommandTag is the status text the server returns for a statement.
type CommandTag struct{ s string }

// NewCommandTag makes a CommandTag from its text.
func NewCommandTag(s string) CommandTag { return CommandTag{s: s} }

// RowsAffected returns the number of rows the statement affected.
func (ct CommandTag) RowsAffected() int64 {
	i := strings.LastIndexByte(ct.s, ' ')
	n, _ := strconv.ParseInt(ct.s[i+1:], 10, 64)
	return n
}

func (ct CommandTag) String() string { return ct.s }

// Insert reports whether the statement was an INSERT.
func (ct CommandTag) Insert() bool { return strings.HasPrefix(ct.s, "INSERT") }

// Update reports whether the statement was an UPDATE.
func (ct CommandTag) Update() bool { return strings.HasPrefix(ct.s, "UPDATE") }

// Delete reports whether the statement was a DELETE.
func (ct CommandTag) Delete() bool { return strings.HasPrefix(ct.s, "DELETE") }

// Select reports whether the statement was a SELECT.
func (ct CommandTag) Select() bool { return strings.HasPrefix(ct.s, "SELECT") }

// FieldDescription describes a result column.
type FieldDescription struct {
	Name string
}

// PgError is an error reported by the server.
type PgError struct {
	Severity string
	Code     string
	Message  string
}

func (pe *PgError) Error() string {
	return pe.Severity + ": " + pe.Message + " (SQLSTATE " + pe.Code + ")"
}

// SQLState returns the SQLSTATE code.
func (pe *PgError) SQLState() string { return pe.Code }
