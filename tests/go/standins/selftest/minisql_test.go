package selftest

import (
	"database/sql"
	"reflect"
	"testing"
)

// TestMiniSQL covers the SQL dialect shared by fakesql, pgx and spanner.
func TestMiniSQL(t *testing.T) {
	db, err := sql.Open("fakesql", uniq("minisql"))
	must(t, err)
	defer db.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		_, err := db.Exec(q, args...)
		must(t, err)
	}
	query := func(q string, args ...any) [][]any {
		t.Helper()
		rows, err := db.Query(q, args...)
		must(t, err)
		defer rows.Close()
		cols, _ := rows.Columns()
		var out [][]any
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			must(t, rows.Scan(ptrs...))
			out = append(out, vals)
		}
		must(t, rows.Err())
		return out
	}
	exec(`CREATE TABLE "Users" (
		id INTEGER NOT NULL,
		name VARCHAR(20) DEFAULT 'x',
		age INT,
		PRIMARY KEY (id)
	)`)
	exec("CREATE TABLE IF NOT EXISTS users (id INT)")
	if _, err := db.Exec("CREATE TABLE users (id INT)"); err == nil {
		t.Error("duplicate CREATE TABLE succeeded")
	}
	exec("INSERT INTO users VALUES (1, 'ann', 30), (2, 'bob', NULL)")
	exec("INSERT INTO users (id, name, age) VALUES ($1, $2, $3)", 3, "it's", 25)
	var id int64
	must(t, db.QueryRow("INSERT INTO users (id, name) VALUES (?, ?) RETURNING id", 4, "dan").Scan(&id))
	if id != 4 {
		t.Errorf("RETURNING id = %d", id)
	}
	for _, c := range []struct {
		q    string
		args []any
		want [][]any
	}{
		{"SELECT name FROM users WHERE age > 0 ORDER BY age DESC LIMIT 2", nil, [][]any{{"ann"}, {"it's"}}},
		{"SELECT id FROM users ORDER BY age", nil, [][]any{{int64(3)}, {int64(1)}, {int64(2)}, {int64(4)}}},
		{"SELECT id FROM users WHERE age >= ? AND name <> 'ann'", []any{20}, [][]any{{int64(3)}}},
		{"SELECT COUNT(*) FROM users WHERE age > 100", nil, [][]any{{int64(0)}}},
		{"select 1, 'a', TRUE", nil, [][]any{{int64(1), "a", true}}},
		{"SELECT * FROM users WHERE id = 2", nil, [][]any{{int64(2), "bob", nil}}},
	} {
		if got := query(c.q, c.args...); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.q, got, c.want)
		}
	}
	res, err := db.Exec("UPDATE users SET age = 31, name = 'Ann' WHERE id = 1")
	must(t, err)
	if n, _ := res.RowsAffected(); n != 1 {
		t.Errorf("UPDATE affected %d", n)
	}
	res, err = db.Exec("DELETE FROM users WHERE age < 30;")
	must(t, err)
	if n, _ := res.RowsAffected(); n != 1 {
		t.Errorf("DELETE affected %d", n)
	}
	for _, bad := range []string{"SELEC 1", "SELECT nope FROM users", "SELECT * FROM missing", "INSERT INTO users VALUES (1, 'dup', 1)", "SELECT * FROM users WHERE"} {
		if _, err := db.Exec(bad); err == nil {
			t.Errorf("%q succeeded", bad)
		}
	}
	exec("DROP TABLE users")
	exec("DROP TABLE IF EXISTS users")
}
