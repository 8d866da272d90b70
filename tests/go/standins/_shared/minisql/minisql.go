// Package minisql is a tiny in-memory SQL engine for the stand-in database
// drivers. It understands just enough SQL for test fixtures:
//
//	CREATE TABLE [IF NOT EXISTS] t (col type [PRIMARY KEY], ...) [PRIMARY KEY (col)]
//	DROP TABLE [IF EXISTS] t
//	INSERT INTO t [(cols)] VALUES (exprs)[, (exprs)] [RETURNING cols|*]
//	SELECT cols|*|COUNT(*) FROM t [WHERE conds] [ORDER BY col [ASC|DESC]] [LIMIT n]
//	SELECT exprs
//	UPDATE t SET col = expr, ... [WHERE conds] [RETURNING cols|*]
//	DELETE FROM t [WHERE conds]
//	BEGIN | START TRANSACTION | COMMIT | ROLLBACK   (accepted, no effect)
//
// where conds are `col op expr` joined by AND, op is one of = != <> < <= > >=,
// and expr is a number, a 'string', TRUE, FALSE, NULL or a placeholder
// (?, $1, @name). Names are case-insensitive.
//
// It lives in the module standins.test/shared (tests/go/standins/_shared),
// shared by the stand-ins that use it.
package minisql

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrNotFound is returned by Lookup and by an Update write of a missing key.
var ErrNotFound = errors.New("row not found")

// DB is one in-memory database. It is safe for concurrent use.
type DB struct {
	// AutoCreate lets Write create a missing table (keyed by its first
	// column) and add missing columns.
	AutoCreate bool

	mu     sync.Mutex
	tables map[string]*table
}

type table struct {
	name string
	cols []string
	key  int // primary key column, or -1
	rows [][]any
}

// Result is what a statement produced.
type Result struct {
	Columns  []string
	Rows     [][]any
	Affected int64
	Tag      string // PostgreSQL-style command tag: "INSERT 0 1", "SELECT 2", ...
}

// New returns an empty database.
func New() *DB { return &DB{tables: map[string]*table{}} }

// Run executes one statement. args fill ? and $N placeholders, named fills
// @name placeholders.
func (db *DB) Run(query string, args []any, named map[string]any) (*Result, error) {
	toks, err := tokenize(query)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, args: args, named: named}
	db.mu.Lock()
	defer db.mu.Unlock()
	res, err := p.statement(db)
	if err != nil {
		return nil, err
	}
	p.accept(";")
	if !p.done() {
		return nil, p.syntaxError()
	}
	return res, nil
}

// Op is a kind of Write.
type Op int

// The kinds of Write.
const (
	Insert Op = iota // fails if the key exists
	Upsert           // inserts, or updates the given columns of an existing row
	Update           // fails with ErrNotFound if the key does not exist
)

// Write inserts or updates one row, keyed by the table's primary key (or its
// first column).
func (db *DB) Write(op Op, name string, cols []string, vals []any) error {
	if len(cols) != len(vals) || len(cols) == 0 {
		return fmt.Errorf("minisql: %d columns but %d values", len(cols), len(vals))
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	t, ok := db.tables[strings.ToLower(name)]
	if !ok {
		if !db.AutoCreate {
			return fmt.Errorf("minisql: table %q does not exist", name)
		}
		t = &table{name: name, cols: append([]string(nil), cols...)}
		db.tables[strings.ToLower(name)] = t
	}
	idx := make([]int, len(cols))
	for i, c := range cols {
		j := t.col(c)
		if j < 0 {
			if !db.AutoCreate {
				return fmt.Errorf("minisql: column %q does not exist in %q", c, name)
			}
			t.cols = append(t.cols, c)
			for r := range t.rows {
				t.rows[r] = append(t.rows[r], nil)
			}
			j = len(t.cols) - 1
		}
		v, err := Normalize(vals[i])
		if err != nil {
			return err
		}
		idx[i], vals[i] = j, v
	}
	key := max(t.key, 0)
	var keyVal any
	for i, j := range idx {
		if j == key {
			keyVal = vals[i]
		}
	}
	row := t.find(key, keyVal)
	switch {
	case row == nil && op == Update:
		return ErrNotFound
	case row != nil && op == Insert:
		return fmt.Errorf("minisql: duplicate key %v in %q", keyVal, name)
	case row == nil:
		row = make([]any, len(t.cols))
		t.rows = append(t.rows, row)
	}
	for i, j := range idx {
		row[j] = vals[i]
	}
	return nil
}

// Delete removes the row with the given key and reports whether it existed.
func (db *DB) Delete(name string, key any) (bool, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	t, err := db.table(name)
	if err != nil {
		return false, err
	}
	key, _ = Normalize(key)
	for i, r := range t.rows {
		if equal(r[max(t.key, 0)], key) {
			t.rows = append(t.rows[:i], t.rows[i+1:]...)
			return true, nil
		}
	}
	return false, nil
}

// DeleteAll removes every row of a table.
func (db *DB) DeleteAll(name string) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	t, err := db.table(name)
	if err == nil {
		t.rows = nil
	}
	return err
}

// Lookup returns the given columns of the row with the given key.
func (db *DB) Lookup(name string, key any, cols []string) ([]any, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	t, err := db.table(name)
	if err != nil {
		return nil, err
	}
	key, _ = Normalize(key)
	row := t.find(max(t.key, 0), key)
	if row == nil {
		return nil, ErrNotFound
	}
	out := make([]any, len(cols))
	for i, c := range cols {
		j := t.col(c)
		if j < 0 {
			return nil, fmt.Errorf("minisql: column %q does not exist in %q", c, name)
		}
		out[i] = row[j]
	}
	return out, nil
}

func (db *DB) table(name string) (*table, error) {
	t, ok := db.tables[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("minisql: table %q does not exist", name)
	}
	return t, nil
}

func (t *table) col(name string) int {
	for i, c := range t.cols {
		if strings.EqualFold(c, name) {
			return i
		}
	}
	return -1
}

func (t *table) find(col int, v any) []any {
	for _, r := range t.rows {
		if equal(r[col], v) {
			return r
		}
	}
	return nil
}

// Normalize converts a Go value to one of the stored kinds: nil, int64,
// float64, bool, string, []byte or time.Time.
func Normalize(v any) (any, error) {
	switch v := v.(type) {
	case nil, int64, float64, bool, string, time.Time:
		return v, nil
	case []byte:
		return append([]byte(nil), v...), nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int64(rv.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return rv.Float(), nil
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Pointer:
		if rv.IsNil() {
			return nil, nil
		}
		return Normalize(rv.Elem().Interface())
	}
	return nil, fmt.Errorf("minisql: unsupported value type %T", v)
}

// Assign stores a value read from the database into dst, a non-nil pointer,
// the way a driver's Scan does. dst may implement Scan(any) error.
func Assign(dst, v any) error {
	if s, ok := dst.(interface{ Scan(any) error }); ok {
		return s.Scan(v)
	}
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("minisql: cannot scan into %T: need a non-nil pointer", dst)
	}
	return assign(rv.Elem(), v)
}

func assign(d reflect.Value, v any) error {
	if v == nil {
		if d.Kind() == reflect.Pointer || d.Kind() == reflect.Interface || d.Kind() == reflect.Slice {
			d.SetZero()
			return nil
		}
		return fmt.Errorf("minisql: cannot scan NULL into %s", d.Type())
	}
	s := reflect.ValueOf(v)
	switch {
	case s.Type().AssignableTo(d.Type()):
		d.Set(s)
	case d.Kind() == reflect.Pointer:
		p := reflect.New(d.Type().Elem())
		if err := assign(p.Elem(), v); err != nil {
			return err
		}
		d.Set(p)
	case d.Kind() == reflect.String:
		d.SetString(fmt.Sprint(asString(v)))
	case isNum(s.Kind()) && isNum(d.Kind()), s.Kind() == reflect.Bool && d.Kind() == reflect.Bool:
		d.Set(s.Convert(d.Type()))
	case s.Kind() == reflect.String && isNum(d.Kind()):
		f, err := strconv.ParseFloat(s.String(), 64)
		if err != nil {
			return fmt.Errorf("minisql: cannot scan %q into %s", s.String(), d.Type())
		}
		d.Set(reflect.ValueOf(f).Convert(d.Type()))
	case s.Kind() == reflect.String && d.Type() == reflect.TypeOf([]byte(nil)):
		d.SetBytes([]byte(s.String()))
	default:
		return fmt.Errorf("minisql: cannot scan %T into %s", v, d.Type())
	}
	return nil
}

func asString(v any) any {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}

func isNum(k reflect.Kind) bool {
	return (k >= reflect.Int && k <= reflect.Uint64) || k == reflect.Float32 || k == reflect.Float64
}

func compare(a, b any) (int, bool) {
	if a == nil || b == nil {
		return 0, false
	}
	if ab, ok := a.([]byte); ok {
		a = string(ab)
	}
	if bb, ok := b.([]byte); ok {
		b = string(bb)
	}
	if af, ok := toFloat(a); ok {
		if bf, ok := toFloat(b); ok {
			switch {
			case af < bf:
				return -1, true
			case af > bf:
				return 1, true
			}
			return 0, true
		}
	}
	switch a := a.(type) {
	case string:
		if b, ok := b.(string); ok {
			return strings.Compare(a, b), true
		}
	case bool:
		if b, ok := b.(bool); ok && a == b {
			return 0, true
		} else if ok {
			return 1, true
		}
	case time.Time:
		if b, ok := b.(time.Time); ok {
			return a.Compare(b), true
		}
	}
	return 0, false
}

// order compares for ORDER BY: NULLs sort last, as in PostgreSQL.
func order(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	n, _ := compare(a, b)
	return n
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case int64:
		return float64(v), true
	case float64:
		return v, true
	case string:
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil
	}
	return 0, false
}

func equal(a, b any) bool {
	c, ok := compare(a, b)
	return ok && c == 0
}

// ---- tokens

type token struct {
	kind byte // 'i' ident, 'n' number, 's' string, 'p' placeholder, 'o' punctuation
	text string
}

func tokenize(q string) ([]token, error) {
	var toks []token
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '-' && strings.HasPrefix(q[i:], "--"):
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case isIdent(c) && !isDigit(c):
			j := i
			for j < len(q) && (isIdent(q[j]) || q[j] == '.') {
				j++
			}
			toks = append(toks, token{'i', q[i:j]})
			i = j
		case isDigit(c) || (c == '-' && i+1 < len(q) && isDigit(q[i+1])):
			j := i + 1
			for j < len(q) && (isDigit(q[j]) || q[j] == '.') {
				j++
			}
			toks = append(toks, token{'n', q[i:j]})
			i = j
		case c == '\'':
			var sb strings.Builder
			j := i + 1
			for ; j < len(q); j++ {
				if q[j] == '\'' {
					if j+1 < len(q) && q[j+1] == '\'' {
						sb.WriteByte('\'')
						j++
						continue
					}
					break
				}
				sb.WriteByte(q[j])
			}
			if j >= len(q) {
				return nil, errors.New("minisql: unterminated string")
			}
			toks = append(toks, token{'s', sb.String()})
			i = j + 1
		case c == '"' || c == '`':
			j := strings.IndexByte(q[i+1:], c)
			if j < 0 {
				return nil, errors.New("minisql: unterminated quoted name")
			}
			toks = append(toks, token{'i', q[i+1 : i+1+j]})
			i += j + 2
		case c == '?':
			toks = append(toks, token{'p', "?"})
			i++
		case c == '$' || c == '@':
			j := i + 1
			for j < len(q) && isIdent(q[j]) {
				j++
			}
			if j == i+1 {
				return nil, fmt.Errorf("minisql: bad placeholder at %q", q[i:])
			}
			toks = append(toks, token{'p', q[i:j]})
			i = j
		case strings.ContainsRune("<>!", rune(c)) && i+1 < len(q) && (q[i+1] == '=' || q[i:i+2] == "<>"):
			toks = append(toks, token{'o', q[i : i+2]})
			i += 2
		case strings.ContainsRune("(),=*;<>", rune(c)):
			toks = append(toks, token{'o', string(c)})
			i++
		default:
			return nil, fmt.Errorf("minisql: unexpected character %q", c)
		}
	}
	return toks, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isIdent(c byte) bool {
	return c == '_' || isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

// ---- parser

type parser struct {
	toks  []token
	pos   int
	args  []any
	named map[string]any
	nextQ int
}

func (p *parser) done() bool { return p.pos >= len(p.toks) }

func (p *parser) peek() token {
	if p.done() {
		return token{}
	}
	return p.toks[p.pos]
}

// accept consumes the next token if it is the keyword or punctuation s.
func (p *parser) accept(s string) bool {
	t := p.peek()
	if (t.kind == 'i' || t.kind == 'o') && strings.EqualFold(t.text, s) {
		p.pos++
		return true
	}
	return false
}

func (p *parser) expect(ss ...string) error {
	for _, s := range ss {
		if !p.accept(s) {
			return p.syntaxError()
		}
	}
	return nil
}

func (p *parser) syntaxError() error {
	if p.done() {
		return errors.New("minisql: syntax error at end of input")
	}
	return fmt.Errorf("minisql: syntax error at or near %q", p.peek().text)
}

func (p *parser) name() (string, error) {
	t := p.peek()
	if t.kind != 'i' {
		return "", p.syntaxError()
	}
	p.pos++
	return t.text, nil
}

func (p *parser) names() ([]string, error) {
	var out []string
	for {
		n, err := p.name()
		if err != nil {
			return nil, err
		}
		out = append(out, n)
		if !p.accept(",") {
			return out, nil
		}
	}
}

func (p *parser) value() (any, error) {
	t := p.peek()
	p.pos++
	switch t.kind {
	case 'n':
		if i, err := strconv.ParseInt(t.text, 10, 64); err == nil {
			return i, nil
		}
		return strconv.ParseFloat(t.text, 64)
	case 's':
		return t.text, nil
	case 'p':
		return p.param(t.text)
	case 'i':
		switch strings.ToUpper(t.text) {
		case "TRUE":
			return true, nil
		case "FALSE":
			return false, nil
		case "NULL":
			return nil, nil
		}
	}
	p.pos--
	return nil, p.syntaxError()
}

func (p *parser) param(ref string) (any, error) {
	var v any
	switch {
	case ref == "?":
		if p.nextQ >= len(p.args) {
			return nil, errors.New("minisql: not enough arguments")
		}
		v = p.args[p.nextQ]
		p.nextQ++
	case ref[0] == '$':
		n, err := strconv.Atoi(ref[1:])
		if err != nil || n < 1 || n > len(p.args) {
			return nil, fmt.Errorf("minisql: no argument for %s", ref)
		}
		v = p.args[n-1]
	default:
		var ok bool
		if v, ok = p.named[ref[1:]]; !ok {
			return nil, fmt.Errorf("minisql: no parameter %s", ref)
		}
	}
	return Normalize(v)
}

func (p *parser) statement(db *DB) (*Result, error) {
	switch {
	case p.accept("CREATE"):
		return p.create(db)
	case p.accept("DROP"):
		if err := p.expect("TABLE"); err != nil {
			return nil, err
		}
		ifExists := p.accept("IF") && p.accept("EXISTS")
		n, err := p.name()
		if err != nil {
			return nil, err
		}
		if _, ok := db.tables[strings.ToLower(n)]; !ok && !ifExists {
			return nil, fmt.Errorf("minisql: table %q does not exist", n)
		}
		delete(db.tables, strings.ToLower(n))
		return &Result{Tag: "DROP TABLE"}, nil
	case p.accept("INSERT"):
		return p.insert(db)
	case p.accept("SELECT"):
		return p.selectStmt(db)
	case p.accept("UPDATE"):
		return p.update(db)
	case p.accept("DELETE"):
		return p.deleteStmt(db)
	case p.accept("BEGIN"), p.accept("START") && p.accept("TRANSACTION"):
		return &Result{Tag: "BEGIN"}, nil
	case p.accept("COMMIT"):
		return &Result{Tag: "COMMIT"}, nil
	case p.accept("ROLLBACK"):
		return &Result{Tag: "ROLLBACK"}, nil
	}
	return nil, p.syntaxError()
}

func (p *parser) create(db *DB) (*Result, error) {
	if err := p.expect("TABLE"); err != nil {
		return nil, err
	}
	ifNotExists := p.accept("IF") && p.accept("NOT") && p.accept("EXISTS")
	n, err := p.name()
	if err != nil {
		return nil, err
	}
	if err := p.expect("("); err != nil {
		return nil, err
	}
	t := &table{name: n, key: -1}
	var keyName string
	for {
		first := p.peek()
		if first.kind != 'i' {
			return nil, p.syntaxError()
		}
		switch strings.ToUpper(first.text) {
		case "PRIMARY":
			p.pos++
			if err := p.expect("KEY", "("); err != nil {
				return nil, err
			}
			if keyName, err = p.name(); err != nil {
				return nil, err
			}
			for !p.done() && !p.accept(")") {
				p.pos++
			}
		case "CONSTRAINT", "UNIQUE", "FOREIGN", "CHECK":
		default:
			p.pos++
			t.cols = append(t.cols, first.text)
		}
		// Skip the rest of the definition.
		depth := 0
		for !p.done() {
			tk := p.peek()
			if depth == 0 && (tk.text == "," || tk.text == ")") && tk.kind == 'o' {
				break
			}
			if tk.kind == 'i' && strings.EqualFold(tk.text, "PRIMARY") && len(t.cols) > 0 {
				keyName = t.cols[len(t.cols)-1]
			}
			switch tk.text {
			case "(":
				depth++
			case ")":
				depth--
			}
			p.pos++
		}
		if p.accept(")") {
			break
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
	}
	if p.accept("PRIMARY") { // Spanner style: ) PRIMARY KEY (col)
		if err := p.expect("KEY", "("); err != nil {
			return nil, err
		}
		if keyName, err = p.name(); err != nil {
			return nil, err
		}
		for !p.done() && !p.accept(")") {
			p.pos++
		}
	}
	if keyName != "" {
		t.key = t.col(keyName)
	}
	if _, exists := db.tables[strings.ToLower(n)]; exists {
		if ifNotExists {
			return &Result{Tag: "CREATE TABLE"}, nil
		}
		return nil, fmt.Errorf("minisql: table %q already exists", n)
	}
	db.tables[strings.ToLower(n)] = t
	return &Result{Tag: "CREATE TABLE"}, nil
}

func (p *parser) insert(db *DB) (*Result, error) {
	if err := p.expect("INTO"); err != nil {
		return nil, err
	}
	n, err := p.name()
	if err != nil {
		return nil, err
	}
	t, err := db.table(n)
	if err != nil {
		return nil, err
	}
	idx := make([]int, len(t.cols))
	for i := range idx {
		idx[i] = i
	}
	if p.accept("(") {
		cols, err := p.names()
		if err != nil {
			return nil, err
		}
		if idx, err = t.indexes(cols); err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
	}
	if err := p.expect("VALUES"); err != nil {
		return nil, err
	}
	var added [][]any
	for {
		if err := p.expect("("); err != nil {
			return nil, err
		}
		row := make([]any, len(t.cols))
		for i := range idx {
			if i > 0 {
				if err := p.expect(","); err != nil {
					return nil, err
				}
			}
			if row[idx[i]], err = p.value(); err != nil {
				return nil, err
			}
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		if t.key >= 0 && (row[t.key] == nil || t.find(t.key, row[t.key]) != nil) {
			return nil, fmt.Errorf("minisql: duplicate or null key %v in %q", row[t.key], t.name)
		}
		t.rows = append(t.rows, row)
		added = append(added, row)
		if !p.accept(",") {
			break
		}
	}
	res := &Result{Affected: int64(len(added)), Tag: fmt.Sprintf("INSERT 0 %d", len(added))}
	return res, p.returning(t, added, res)
}

func (p *parser) returning(t *table, rows [][]any, res *Result) error {
	if !p.accept("RETURNING") {
		return nil
	}
	idx, cols, err := p.projection(t)
	if err != nil {
		return err
	}
	res.Columns = cols
	for _, r := range rows {
		res.Rows = append(res.Rows, project(r, idx))
	}
	return nil
}

func (t *table) indexes(cols []string) ([]int, error) {
	idx := make([]int, len(cols))
	for i, c := range cols {
		if idx[i] = t.col(c); idx[i] < 0 {
			return nil, fmt.Errorf("minisql: column %q does not exist in %q", c, t.name)
		}
	}
	return idx, nil
}

// projection parses `*` or a column list; idx is nil for COUNT(*).
func (p *parser) projection(t *table) (idx []int, cols []string, err error) {
	if p.accept("*") {
		idx, _ = t.indexes(t.cols)
		return idx, append([]string(nil), t.cols...), nil
	}
	names, err := p.names()
	if err != nil {
		return nil, nil, err
	}
	idx, err = t.indexes(names)
	return idx, names, err
}

func project(r []any, idx []int) []any {
	out := make([]any, len(idx))
	for i, j := range idx {
		out[i] = r[j]
	}
	return out
}

type cond struct {
	col int
	op  string
	val any
}

func (p *parser) where(t *table) ([]cond, error) {
	if !p.accept("WHERE") {
		return nil, nil
	}
	var cs []cond
	for {
		n, err := p.name()
		if err != nil {
			return nil, err
		}
		c := cond{col: t.col(n)}
		if c.col < 0 {
			return nil, fmt.Errorf("minisql: column %q does not exist in %q", n, t.name)
		}
		op := p.peek()
		if op.kind != 'o' || !strings.Contains(" = != <> < <= > >= ", " "+op.text+" ") {
			return nil, p.syntaxError()
		}
		p.pos++
		c.op = op.text
		if c.val, err = p.value(); err != nil {
			return nil, err
		}
		cs = append(cs, c)
		if !p.accept("AND") {
			return cs, nil
		}
	}
}

func match(r []any, cs []cond) bool {
	for _, c := range cs {
		n, ok := compare(r[c.col], c.val)
		if !ok {
			return false
		}
		var m bool
		switch c.op {
		case "=":
			m = n == 0
		case "!=", "<>":
			m = n != 0
		case "<":
			m = n < 0
		case "<=":
			m = n <= 0
		case ">":
			m = n > 0
		case ">=":
			m = n >= 0
		}
		if !m {
			return false
		}
	}
	return true
}

func (p *parser) selectStmt(db *DB) (*Result, error) {
	if p.accept("COUNT") {
		if err := p.expect("(", "*", ")", "FROM"); err != nil {
			return nil, err
		}
		rows, _, err := p.selectFrom(db)
		if err != nil {
			return nil, err
		}
		return &Result{Columns: []string{"count"}, Rows: [][]any{{int64(len(rows))}}, Tag: "SELECT 1"}, nil
	}
	// SELECT exprs, without FROM.
	if t := p.peek(); t.kind == 'n' || t.kind == 's' || t.kind == 'p' || isLiteral(t) {
		var row []any
		var cols []string
		for {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			row = append(row, v)
			cols = append(cols, "?column?")
			if !p.accept(",") {
				break
			}
		}
		return &Result{Columns: cols, Rows: [][]any{row}, Tag: "SELECT 1"}, nil
	}
	// The projection is parsed after the table is known.
	start := p.pos
	for !p.done() && !p.accept("FROM") {
		p.pos++
	}
	end := p.pos
	rows, t, err := p.selectFrom(db)
	if err != nil {
		return nil, err
	}
	after := p.pos
	p.pos = start
	idx, cols, err := p.projection(t)
	if err != nil {
		return nil, err
	}
	if !p.accept("FROM") || p.pos != end {
		return nil, p.syntaxError()
	}
	p.pos = after
	res := &Result{Columns: cols, Tag: fmt.Sprintf("SELECT %d", len(rows))}
	for _, r := range rows {
		res.Rows = append(res.Rows, project(r, idx))
	}
	return res, nil
}

func isLiteral(t token) bool {
	switch strings.ToUpper(t.text) {
	case "TRUE", "FALSE", "NULL":
		return t.kind == 'i'
	}
	return false
}

// selectFrom parses `t [WHERE] [ORDER BY] [LIMIT]` and returns matching rows.
func (p *parser) selectFrom(db *DB) ([][]any, *table, error) {
	n, err := p.name()
	if err != nil {
		return nil, nil, err
	}
	t, err := db.table(n)
	if err != nil {
		return nil, nil, err
	}
	cs, err := p.where(t)
	if err != nil {
		return nil, nil, err
	}
	var rows [][]any
	for _, r := range t.rows {
		if match(r, cs) {
			rows = append(rows, append([]any(nil), r...))
		}
	}
	if p.accept("ORDER") {
		if err := p.expect("BY"); err != nil {
			return nil, nil, err
		}
		c, err := p.name()
		if err != nil {
			return nil, nil, err
		}
		j := t.col(c)
		if j < 0 {
			return nil, nil, fmt.Errorf("minisql: column %q does not exist in %q", c, t.name)
		}
		desc := p.accept("DESC")
		if !desc {
			p.accept("ASC")
		}
		sort.SliceStable(rows, func(a, b int) bool {
			n := order(rows[a][j], rows[b][j])
			if desc {
				return n > 0
			}
			return n < 0
		})
	}
	if p.accept("LIMIT") {
		v, err := p.value()
		if err != nil {
			return nil, nil, err
		}
		if l, ok := v.(int64); ok && int(l) < len(rows) {
			rows = rows[:max(l, 0)]
		}
	}
	return rows, t, nil
}

func (p *parser) update(db *DB) (*Result, error) {
	n, err := p.name()
	if err != nil {
		return nil, err
	}
	t, err := db.table(n)
	if err != nil {
		return nil, err
	}
	if err := p.expect("SET"); err != nil {
		return nil, err
	}
	var sets []cond
	for {
		c, err := p.name()
		if err != nil {
			return nil, err
		}
		s := cond{col: t.col(c)}
		if s.col < 0 {
			return nil, fmt.Errorf("minisql: column %q does not exist in %q", c, t.name)
		}
		if err := p.expect("="); err != nil {
			return nil, err
		}
		if s.val, err = p.value(); err != nil {
			return nil, err
		}
		sets = append(sets, s)
		if !p.accept(",") {
			break
		}
	}
	cs, err := p.where(t)
	if err != nil {
		return nil, err
	}
	var changed [][]any
	for _, r := range t.rows {
		if match(r, cs) {
			for _, s := range sets {
				r[s.col] = s.val
			}
			changed = append(changed, r)
		}
	}
	res := &Result{Affected: int64(len(changed)), Tag: fmt.Sprintf("UPDATE %d", len(changed))}
	return res, p.returning(t, changed, res)
}

func (p *parser) deleteStmt(db *DB) (*Result, error) {
	if err := p.expect("FROM"); err != nil {
		return nil, err
	}
	n, err := p.name()
	if err != nil {
		return nil, err
	}
	t, err := db.table(n)
	if err != nil {
		return nil, err
	}
	cs, err := p.where(t)
	if err != nil {
		return nil, err
	}
	kept := t.rows[:0]
	for _, r := range t.rows {
		if !match(r, cs) {
			kept = append(kept, r)
		}
	}
	gone := len(t.rows) - len(kept)
	t.rows = kept
	return &Result{Affected: int64(gone), Tag: fmt.Sprintf("DELETE %d", gone)}, nil
}
