package selftest

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"example.com/fakesql"
	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/segmentio/kafka-go"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

type echo struct{ Msg string }

func TestGRPC(t *testing.T) {
	grpcOpenClients := since(grpc.OpenClients)
	grpcConstructed := since(grpc.Constructed)
	ctx := context.Background()
	leakFree := goroutineBaseline(t)
	base := runtime.NumGoroutine()
	if _, err := grpc.NewClient("localhost:50051"); err == nil {
		t.Fatal("NewClient without transport credentials succeeded")
	}
	cc, err := grpc.NewClient("localhost:50051", grpc.WithTransportCredentials(insecure.NewCredentials()))
	must(t, err)
	wantCount(t, "OpenClients", grpcOpenClients(), 1)
	wantMoreGoroutines(t, base)
	var reply echo
	must(t, cc.Invoke(ctx, "/echo.Echo/Say", &echo{"hi"}, &reply))
	if reply.Msg != "hi" {
		t.Fatalf("echo %q", reply.Msg)
	}
	var iface grpc.ClientConnInterface = cc
	_ = iface
	must(t, cc.Close())
	if err := cc.Close(); status.Code(err) != codes.Canceled {
		t.Fatalf("second Close: %v", err)
	}
	if err := cc.Invoke(ctx, "/echo.Echo/Say", &echo{}, &reply); status.Code(err) != codes.Canceled {
		t.Fatalf("Invoke after Close: %v", err)
	}
	wantCount(t, "OpenClients", grpcOpenClients(), 0)
	leakFree()

	if _, err := grpc.DialContext(cancelled(), "x", grpc.WithInsecure()); err == nil {
		t.Fatal("DialContext with cancelled ctx succeeded")
	}
	// The dial context is not kept.
	dctx, cancel := context.WithCancel(ctx)
	cc, err = grpc.DialContext(dctx, "x", grpc.WithTransportCredentials(insecure.NewCredentials()))
	must(t, err)
	cancel()
	must(t, cc.Invoke(ctx, "/m", &echo{}, &echo{}))
	cctx, ccancel := context.WithCancel(ctx)
	ccancel()
	if err := cc.Invoke(cctx, "/m", &echo{}, &echo{}); status.Code(err) != codes.Canceled {
		t.Fatalf("Invoke with cancelled ctx: %v", err)
	}
	cc.Close()
	wantCount(t, "Constructed", grpcConstructed(), 2)
	leakFree()
}

func TestRedis(t *testing.T) {
	redisOpenClients := since(redis.OpenClients)
	redisOpenPubSubs := since(redis.OpenPubSubs)
	redisBlockedReceives := since(redis.BlockedReceives)
	ctx := context.Background()
	leakFree := goroutineBaseline(t)
	opt, err := redis.ParseURL("redis://localhost:6379/0")
	must(t, err)
	rdb := redis.NewClient(opt)
	wantCount(t, "OpenClients", redisOpenClients(), 1)
	key, news := uniq("k"), uniq("news")
	must(t, rdb.Set(ctx, key, 42, 0).Err())
	v, err := rdb.Get(ctx, key).Result()
	must(t, err)
	if v != "42" {
		t.Fatalf("Get %q", v)
	}
	if _, err := rdb.Get(ctx, "missing").Result(); err != redis.Nil {
		t.Fatalf("Get missing: %v", err)
	}
	other := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	if v, _ := other.Get(ctx, key).Result(); v != "42" {
		t.Fatalf("second client sees %q", v)
	}
	if n, _ := other.Incr(ctx, key).Result(); n != 43 {
		t.Fatalf("Incr %d", n)
	}
	must(t, other.Close())

	// ReceiveMessage blocks until a message, ctx done, or Close.
	ps := rdb.Subscribe(ctx, news)
	wantCount(t, "OpenPubSubs", redisOpenPubSubs(), 1)
	if _, err := ps.Receive(ctx); err != nil { // subscription confirmation
		t.Fatal(err)
	}
	if n, _ := rdb.Publish(ctx, news, "hello").Result(); n != 1 {
		t.Fatalf("Publish reached %d", n)
	}
	m, err := ps.ReceiveMessage(ctx)
	must(t, err)
	if m.Channel != news || m.Payload != "hello" {
		t.Fatalf("message %+v", m)
	}
	tctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	_, err = ps.ReceiveMessage(tctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ReceiveMessage with timeout: %v", err)
	}
	errc := make(chan error, 1)
	go func() { _, err := ps.ReceiveMessage(ctx); errc <- err }()
	for redis.BlockedReceives() != 1 {
		time.Sleep(time.Millisecond)
	}
	must(t, ps.Close())
	if err := <-errc; err != redis.ErrClosed {
		t.Fatalf("ReceiveMessage after Close: %v", err)
	}
	wantCount(t, "BlockedReceives", redisBlockedReceives(), 0)
	wantCount(t, "OpenPubSubs", redisOpenPubSubs(), 0)
	if err := ps.Close(); err != redis.ErrClosed {
		t.Fatalf("second PubSub.Close: %v", err)
	}

	// Channel delivers and is closed by Close.
	b := uniq("b")
	ps = rdb.Subscribe(ctx, uniq("a"), b)
	ch := ps.Channel()
	rdb.Publish(ctx, b, "x")
	if m := <-ch; m.Payload != "x" {
		t.Fatalf("Channel got %+v", m)
	}
	ps.Close()
	if _, ok := <-ch; ok {
		t.Fatal("Channel not closed by Close")
	}

	must(t, rdb.Close())
	if err := rdb.Close(); err != redis.ErrClosed {
		t.Fatalf("second Close: %v", err)
	}
	if err := rdb.Get(ctx, key).Err(); err != redis.ErrClosed {
		t.Fatalf("Get after Close: %v", err)
	}
	wantCount(t, "OpenClients", redisOpenClients(), 0)
	leakFree()
}

type user struct {
	ID   interface{} `bson:"_id,omitempty"`
	Name string      `bson:"name"`
	Age  int
}

func TestMongo(t *testing.T) {
	mongoOpenClients := since(mongo.OpenClients)
	mongoOpenCursors := since(mongo.OpenCursors)
	ctx := context.Background()
	leakFree := goroutineBaseline(t)
	if _, err := mongo.Connect(cancelled(), options.Client().ApplyURI("mongodb://localhost")); err == nil {
		t.Fatal("Connect with cancelled ctx succeeded")
	}
	if _, err := mongo.Connect(ctx, options.Client().ApplyURI("http://x")); err == nil {
		t.Fatal("bad URI accepted")
	}
	c, err := mongo.Connect(ctx, options.Client().ApplyURI("mongodb://localhost:27017"))
	must(t, err)
	wantCount(t, "OpenClients", mongoOpenClients(), 1)
	must(t, c.Ping(ctx, nil))
	coll := c.Database(uniq("app")).Collection("users")
	res, err := coll.InsertOne(ctx, user{Name: "ann", Age: 30})
	must(t, err)
	if res.InsertedID == nil {
		t.Fatal("no InsertedID")
	}
	_, err = coll.InsertOne(ctx, bson.D{{Key: "name", Value: "bob"}, {Key: "age", Value: 40}})
	must(t, err)
	var u user
	must(t, coll.FindOne(ctx, bson.M{"name": "ann"}).Decode(&u))
	if u.Age != 30 || u.ID != res.InsertedID {
		t.Fatalf("FindOne %+v", u)
	}
	if err := coll.FindOne(ctx, bson.M{"name": "zed"}).Err(); err != mongo.ErrNoDocuments {
		t.Fatalf("FindOne missing: %v", err)
	}
	_, err = coll.UpdateOne(ctx, bson.M{"name": "bob"}, bson.M{"$inc": bson.M{"age": 1}})
	must(t, err)

	cur, err := coll.Find(ctx, bson.M{"age": bson.M{"$gt": 35}})
	must(t, err)
	wantCount(t, "OpenCursors", mongoOpenCursors(), 1)
	var got []bson.M
	must(t, cur.All(ctx, &got))
	if len(got) != 1 || got[0]["age"] != int64(41) {
		t.Fatalf("Find %v", got)
	}
	wantCount(t, "OpenCursors", mongoOpenCursors(), 0)
	cur, err = coll.Find(ctx, bson.M{})
	must(t, err)
	for cur.Next(ctx) {
	}
	wantCount(t, "OpenCursors", mongoOpenCursors(), 0)
	cur, err = coll.Find(ctx, bson.M{})
	must(t, err)
	must(t, cur.Close(ctx))
	wantCount(t, "OpenCursors", mongoOpenCursors(), 0)

	must(t, c.Disconnect(ctx))
	if err := c.Disconnect(ctx); err != mongo.ErrClientDisconnected {
		t.Fatalf("second Disconnect: %v", err)
	}
	if _, err := coll.InsertOne(ctx, bson.M{"a": 1}); err != mongo.ErrClientDisconnected {
		t.Fatalf("InsertOne after Disconnect: %v", err)
	}
	wantCount(t, "OpenClients", mongoOpenClients(), 0)
	leakFree()
}

func TestPgx(t *testing.T) {
	pgxOpenClients := since(pgx.OpenClients)
	pgxOpenRows := since(pgx.OpenRows)
	pgxOpenTxs := since(pgx.OpenTxs)
	ctx := context.Background()
	leakFree := goroutineBaseline(t)
	if _, err := pgx.Connect(ctx, "not a conn string"); err == nil {
		t.Fatal("bad conn string accepted")
	}
	conn, err := pgx.Connect(ctx, "postgres://u:p@localhost:5432/"+uniq("pgtest")+"?sslmode=disable")
	must(t, err)
	wantCount(t, "OpenClients", pgxOpenClients(), 1)
	_, err = conn.Exec(ctx, "CREATE TABLE users (id INT PRIMARY KEY, name TEXT)")
	must(t, err)
	tag, err := conn.Exec(ctx, "INSERT INTO users (id, name) VALUES ($1, $2), ($3, $4)", 1, "ann", 2, "bob")
	must(t, err)
	if tag.RowsAffected() != 2 || !tag.Insert() {
		t.Fatalf("tag %s", tag)
	}
	rows, err := conn.Query(ctx, "SELECT id, name FROM users ORDER BY id DESC")
	must(t, err)
	wantCount(t, "OpenRows", pgxOpenRows(), 1)
	if _, err := conn.Exec(ctx, "SELECT 1"); err == nil {
		t.Fatal("Exec on a conn with open rows succeeded")
	}
	var names []string
	for rows.Next() {
		var id int
		var name string
		must(t, rows.Scan(&id, &name))
		names = append(names, name)
	}
	must(t, rows.Err())
	if len(names) != 2 || names[0] != "bob" {
		t.Fatalf("names %v", names)
	}
	wantCount(t, "OpenRows", pgxOpenRows(), 0)
	var name string
	err = conn.QueryRow(ctx, "SELECT name FROM users WHERE id = $1", 9).Scan(&name)
	if !errors.Is(err, pgx.ErrNoRows) || !errors.Is(err, sql.ErrNoRows) {
		t.Fatalf("QueryRow of missing row: %v", err)
	}
	tx, err := conn.Begin(ctx)
	must(t, err)
	wantCount(t, "OpenTxs", pgxOpenTxs(), 1)
	_, err = tx.Exec(ctx, "UPDATE users SET name = $1 WHERE id = $2", "ann2", 1)
	must(t, err)
	must(t, tx.Commit(ctx))
	if err := tx.Rollback(ctx); err != pgx.ErrTxClosed {
		t.Fatalf("Rollback after Commit: %v", err)
	}
	wantCount(t, "OpenTxs", pgxOpenTxs(), 0)
	must(t, conn.Close(ctx))
	must(t, conn.Close(ctx))
	if _, err := conn.Exec(ctx, "SELECT 1"); err == nil {
		t.Fatal("Exec after Close succeeded")
	}
	wantCount(t, "OpenClients", pgxOpenClients(), 0)
	leakFree()
}

func TestPgxPool(t *testing.T) {
	pgxpoolOpenClients := since(pgxpool.OpenClients)
	pgxpoolAcquiredConns := since(pgxpool.AcquiredConns)
	ctx := context.Background()
	leakFree := goroutineBaseline(t)
	if _, err := pgxpool.New(cancelled(), "postgres://localhost/pooltest"); err == nil {
		t.Fatal("New with cancelled ctx succeeded")
	}
	pool, err := pgxpool.New(ctx, "postgres://localhost/"+uniq("pooltest")+"?pool_max_conns=2")
	must(t, err)
	wantCount(t, "OpenClients", pgxpoolOpenClients(), 1)
	_, err = pool.Exec(ctx, "CREATE TABLE t (n INT)")
	must(t, err)
	_, err = pool.Exec(ctx, "INSERT INTO t VALUES (1), (2), (3)")
	must(t, err)
	var n int64
	must(t, pool.QueryRow(ctx, "SELECT COUNT(*) FROM t").Scan(&n))
	if n != 3 {
		t.Fatalf("count %d", n)
	}
	wantCount(t, "AcquiredConns", pgxpoolAcquiredConns(), 0)

	// Leaked rows hold their connection: two of them exhaust the pool.
	r1, err := pool.Query(ctx, "SELECT n FROM t")
	must(t, err)
	r2, err := pool.Query(ctx, "SELECT n FROM t")
	must(t, err)
	wantCount(t, "AcquiredConns", pgxpoolAcquiredConns(), 2)
	tctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	_, err = pool.Query(tctx, "SELECT n FROM t")
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Query on an exhausted pool: %v", err)
	}
	r1.Close()
	r2.Close()
	wantCount(t, "AcquiredConns", pgxpoolAcquiredConns(), 0)

	c, err := pool.Acquire(ctx)
	must(t, err)
	if pool.Stat().AcquiredConns() != 1 {
		t.Fatal("Stat does not count the acquired conn")
	}
	c.Release()
	c.Release()
	tx, err := pool.Begin(ctx)
	must(t, err)
	wantCount(t, "AcquiredConns", pgxpoolAcquiredConns(), 1)
	must(t, tx.Rollback(ctx))
	wantCount(t, "AcquiredConns", pgxpoolAcquiredConns(), 0)

	pool.Close()
	pool.Close()
	if _, err := pool.Exec(ctx, "SELECT 1"); err == nil {
		t.Fatal("Exec on closed pool succeeded")
	}
	wantCount(t, "OpenClients", pgxpoolOpenClients(), 0)
	leakFree()
}

func TestPaho(t *testing.T) {
	mqttOpenClients := since(mqtt.OpenClients)
	mqttConstructed := since(mqtt.Constructed)
	leakFree := goroutineBaseline(t)
	opts := mqtt.NewClientOptions().AddBroker("tcp://localhost:1883").SetClientID("sub")
	sub := mqtt.NewClient(opts)
	if tok := sub.Subscribe("x", 0, nil); tok.Wait() && tok.Error() != mqtt.ErrNotConnected {
		t.Fatalf("Subscribe before Connect: %v", tok.Error())
	}
	if tok := sub.Connect(); tok.Wait() && tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	wantCount(t, "OpenClients", mqttOpenClients(), 1)
	got := make(chan string, 1)
	tok := sub.Subscribe("sensors/+/temp", 1, func(_ mqtt.Client, m mqtt.Message) {
		got <- m.Topic() + "=" + string(m.Payload())
	})
	must(t, tok.Error())
	pub := mqtt.NewClient(mqtt.NewClientOptions().AddBroker("localhost:1883"))
	must(t, pub.Connect().Error())
	must(t, pub.Publish("sensors/kitchen/temp", 1, false, "21").Error())
	select {
	case s := <-got:
		if s != "sensors/kitchen/temp=21" {
			t.Fatalf("got %q", s)
		}
	case <-time.After(time.Second):
		t.Fatal("message not delivered")
	}
	wantCount(t, "OpenClients", mqttOpenClients(), 2)
	pub.Disconnect(250)
	sub.Disconnect(250)
	sub.Disconnect(250)
	if err := pub.Publish("a", 0, false, "x").Error(); err != mqtt.ErrNotConnected {
		t.Fatalf("Publish after Disconnect: %v", err)
	}
	wantCount(t, "OpenClients", mqttOpenClients(), 0)
	wantCount(t, "Constructed", mqttConstructed(), 2)
	leakFree()
}

func TestKafka(t *testing.T) {
	kafkaOpenWriters := since(kafka.OpenWriters)
	kafkaOpenReaders := since(kafka.OpenReaders)
	kafkaOpenClients := since(kafka.OpenClients)
	ctx := context.Background()
	leakFree := goroutineBaseline(t)
	events := uniq("events")
	w := &kafka.Writer{Addr: kafka.TCP("localhost:9092"), Topic: events, Balancer: &kafka.LeastBytes{}}
	wantCount(t, "OpenWriters", kafkaOpenWriters(), 0)
	must(t, w.WriteMessages(ctx, kafka.Message{Key: []byte("k"), Value: []byte("v1")}, kafka.Message{Value: []byte("v2")}))
	wantCount(t, "OpenWriters", kafkaOpenWriters(), 1)

	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{"localhost:9092"}, Topic: events, GroupID: "g"})
	wantCount(t, "OpenReaders", kafkaOpenReaders(), 1)
	wantCount(t, "OpenClients", kafkaOpenClients(), 2)
	m, err := r.ReadMessage(ctx)
	must(t, err)
	if string(m.Value) != "v1" || m.Offset != 0 {
		t.Fatalf("first message %+v", m)
	}
	r2 := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{"localhost:9092"}, Topic: events, GroupID: "g"})
	m, err = r2.ReadMessage(ctx)
	must(t, err)
	if string(m.Value) != "v2" {
		t.Fatalf("group reader got %q, want the uncommitted v2", m.Value)
	}
	must(t, r2.Close())

	tctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	_, err = r.ReadMessage(tctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ReadMessage with timeout: %v", err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := r.ReadMessage(ctx); err != io.EOF {
			t.Errorf("ReadMessage unblocked by Close: %v", err)
		}
	}()
	time.Sleep(10 * time.Millisecond)
	must(t, r.Close())
	wg.Wait()
	must(t, r.Close())
	must(t, w.Close())
	if err := w.WriteMessages(ctx, kafka.Message{Value: []byte("x")}); err != io.ErrClosedPipe {
		t.Fatalf("write after Close: %v", err)
	}
	wantCount(t, "OpenClients", kafkaOpenClients(), 0)
	leakFree()

	defer func() {
		if recover() == nil {
			t.Error("NewReader without brokers did not panic")
		}
	}()
	kafka.NewReader(kafka.ReaderConfig{Topic: "x"})
}

func TestFakeSQL(t *testing.T) {
	fakesqlOpenClients := since(fakesql.OpenClients)
	fakesqlOpenRows := since(fakesql.OpenRows)
	fakesqlOpenStmts := since(fakesql.OpenStmts)
	fakesqlOpenConns := since(fakesql.OpenConns)
	fakesqlConstructed := since(fakesql.Constructed)
	ctx := context.Background()
	leakFree := goroutineBaseline(t)
	dsn := uniq("fakesql-test")
	db, err := sql.Open("fakesql", dsn)
	must(t, err)
	wantCount(t, "OpenClients", fakesqlOpenClients(), 1)
	_, err = db.ExecContext(ctx, "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL)")
	must(t, err)
	res, err := db.ExecContext(ctx, "INSERT INTO items (id, name, price) VALUES (?, ?, ?), (?, ?, ?)", 1, "pen", 1.5, 2, "ink", 4.0)
	must(t, err)
	if n, _ := res.RowsAffected(); n != 2 {
		t.Fatalf("RowsAffected %d", n)
	}
	_, err = db.ExecContext(ctx, "INSERT INTO items (id, name) VALUES (?, ?)", 1, "dup")
	wantErr(t, err, "duplicate")

	var name string
	var price float64
	must(t, db.QueryRowContext(ctx, "SELECT name, price FROM items WHERE id = @id", sql.Named("id", 2)).Scan(&name, &price))
	if name != "ink" || price != 4 {
		t.Fatalf("row %q %v", name, price)
	}
	if err := db.QueryRow("SELECT name FROM items WHERE id = $1", 7).Scan(&name); err != sql.ErrNoRows {
		t.Fatalf("missing row: %v", err)
	}
	_, err = db.Exec("UPDATE items SET price = ? WHERE name = ?", 2.0, "pen")
	must(t, err)
	var total int
	must(t, db.QueryRow("SELECT COUNT(*) FROM items WHERE price >= 2").Scan(&total))
	if total != 2 {
		t.Fatalf("count %d", total)
	}

	// A leaked *sql.Rows keeps a driver connection and its rows open.
	rows, err := db.QueryContext(ctx, "SELECT id, name FROM items ORDER BY id")
	must(t, err)
	wantCount(t, "OpenRows", fakesqlOpenRows(), 1)
	rows.Close()
	wantCount(t, "OpenRows", fakesqlOpenRows(), 0)

	stmt, err := db.Prepare("SELECT name FROM items WHERE id = ?")
	must(t, err)
	must(t, stmt.QueryRow(1).Scan(&name))
	if name != "pen" {
		t.Fatalf("stmt row %q", name)
	}
	wantCount(t, "OpenStmts", fakesqlOpenStmts(), 1)
	must(t, stmt.Close())
	wantCount(t, "OpenStmts", fakesqlOpenStmts(), 0)

	// A second sql.DB on the same DSN sees the same data.
	db2, err := sql.Open("fakesql", dsn)
	must(t, err)
	must(t, db2.QueryRow("SELECT name FROM items WHERE id = 1").Scan(&name))
	must(t, db2.Close())

	must(t, db.Close())
	must(t, db.Close())
	if err := db.Ping(); err == nil {
		t.Fatal("Ping after Close succeeded")
	}
	wantCount(t, "OpenClients", fakesqlOpenClients(), 0)
	wantCount(t, "OpenConns", fakesqlOpenConns(), 0)
	wantCount(t, "Constructed", fakesqlConstructed(), 2)
	leakFree()
}
