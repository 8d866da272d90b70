package selftest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/firestore"
	"cloud.google.com/go/pubsub"
	"cloud.google.com/go/pubsublite"
	"cloud.google.com/go/pubsublite/pscompat"
	"cloud.google.com/go/spanner"
	"cloud.google.com/go/storage"
	"google.golang.org/api/idtoken"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
)

func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func TestStorage(t *testing.T) {
	storageOpenClients := since(storage.OpenClients)
	storageConstructed := since(storage.Constructed)
	storageOpenWriters := since(storage.OpenWriters)
	storageOpenReaders := since(storage.OpenReaders)
	ctx := context.Background()
	leakFree := goroutineBaseline(t)
	base := runtime.NumGoroutine()

	c, err := storage.NewClient(ctx, option.WithoutAuthentication())
	must(t, err)
	wantCount(t, "OpenClients", storageOpenClients(), 1)
	wantCount(t, "Constructed", storageConstructed(), 1)
	wantMoreGoroutines(t, base)

	bucket := uniq("b-storage")
	obj := c.Bucket(bucket).Object("greeting.txt")
	if _, err := obj.NewReader(ctx); !errors.Is(err, storage.ErrBucketNotExist) {
		t.Fatalf("NewReader of missing bucket: %v", err)
	}
	w := obj.NewWriter(ctx)
	w.ContentType = "text/plain"
	_, err = io.WriteString(w, "hello")
	must(t, err)
	wantCount(t, "OpenWriters", storageOpenWriters(), 1)
	must(t, w.Close())
	wantCount(t, "OpenWriters", storageOpenWriters(), 0)

	r, err := obj.NewReader(ctx)
	must(t, err)
	wantCount(t, "OpenReaders", storageOpenReaders(), 1)
	b, err := io.ReadAll(r)
	must(t, err)
	if string(b) != "hello" || r.Attrs.ContentType != "text/plain" {
		t.Fatalf("read %q (%s)", b, r.Attrs.ContentType)
	}
	must(t, r.Close())
	must(t, r.Close())
	wantCount(t, "OpenReaders", storageOpenReaders(), 0)

	if _, err := c.Bucket(bucket).Object("nope").NewReader(ctx); !errors.Is(err, storage.ErrObjectNotExist) {
		t.Fatalf("NewReader of missing object: %v", err)
	}
	attrs, err := c.Bucket(bucket).Attrs(ctx)
	must(t, err)
	if attrs.Name != bucket {
		t.Fatalf("bucket attrs %+v", attrs)
	}
	it := c.Buckets(ctx, "proj")
	found := false
	for {
		a, err := it.Next()
		if err == iterator.Done {
			break
		}
		must(t, err)
		found = found || a.Name == bucket
	}
	if !found {
		t.Fatal("Buckets did not list the bucket")
	}
	oit := c.Bucket(bucket).Objects(ctx, &storage.Query{Prefix: "greet"})
	if a, err := oit.Next(); err != nil || a.Name != "greeting.txt" || a.Size != 5 {
		t.Fatalf("Objects: %+v %v", a, err)
	}

	must(t, c.Close())
	must(t, c.Close())
	wantCount(t, "OpenClients", storageOpenClients(), 0)
	wantErr(t, func() error { _, err := obj.Attrs(ctx); return err }(), "client is closed")
	leakFree()

	if _, err := storage.NewClient(cancelled()); !errors.Is(err, context.Canceled) {
		t.Fatalf("NewClient with cancelled ctx: %v", err)
	}

	// A client keeps its creation context.
	reqCtx, cancel := context.WithCancel(ctx)
	c, err = storage.NewClient(reqCtx)
	must(t, err)
	_, err = c.Bucket(bucket).Attrs(ctx)
	must(t, err)
	cancel()
	_, err = c.Bucket(bucket).Attrs(ctx)
	wantErr(t, err, "storage: client creation context canceled")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("creation-context error does not wrap context.Canceled: %v", err)
	}
	c.Close()
	wantCount(t, "OpenClients", storageOpenClients(), 0)
	leakFree()
}

type city struct {
	Name       string `firestore:"name"`
	Population int    `firestore:"population"`
}

func TestFirestore(t *testing.T) {
	firestoreOpenClients := since(firestore.OpenClients)
	firestoreOpenIterators := since(firestore.OpenIterators)
	ctx := context.Background()
	leakFree := goroutineBaseline(t)
	if _, err := firestore.NewClient(cancelled(), "p"); err == nil {
		t.Fatal("NewClient with cancelled ctx succeeded")
	}
	c, err := firestore.NewClient(ctx, "p")
	must(t, err)
	wantCount(t, "OpenClients", firestoreOpenClients(), 1)

	cities := uniq("cities")
	doc := c.Collection(cities).Doc("SF")
	_, err = doc.Set(ctx, city{Name: "San Francisco", Population: 100})
	must(t, err)
	snap, err := doc.Get(ctx)
	must(t, err)
	var got city
	must(t, snap.DataTo(&got))
	if got.Name != "San Francisco" || got.Population != 100 {
		t.Fatalf("DataTo: %+v", got)
	}
	if snap, err := c.Collection(cities).Doc("nope").Get(ctx); err == nil || snap.Exists() {
		t.Fatal("Get of missing doc did not fail")
	}
	must(t, c.RunTransaction(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		s, err := tx.Get(doc)
		if err != nil {
			return err
		}
		n, _ := s.DataAt("population")
		return tx.Set(doc, map[string]interface{}{"population": n.(int) + 1}, firestore.MergeAll)
	}))
	snap, err = doc.Get(ctx)
	must(t, err)
	if snap.Data()["population"] != 101 || snap.Data()["name"] != "San Francisco" {
		t.Fatalf("after transaction: %v", snap.Data())
	}
	_, _, err = c.Collection(cities).Add(ctx, map[string]interface{}{"name": "LA"})
	must(t, err)

	it := c.Collection(cities).Documents(ctx)
	wantCount(t, "OpenIterators", firestoreOpenIterators(), 1)
	it.Stop()
	wantCount(t, "OpenIterators", firestoreOpenIterators(), 0)
	all, err := c.Collection(cities).Where("name", "==", "LA").Documents(ctx).GetAll()
	must(t, err)
	if len(all) != 1 {
		t.Fatalf("Where: %d docs", len(all))
	}
	wantCount(t, "OpenIterators", firestoreOpenIterators(), 0)

	must(t, c.Close())
	_, err = doc.Get(ctx)
	wantErr(t, err, "client is closed")
	wantCount(t, "OpenClients", firestoreOpenClients(), 0)
	leakFree()

	reqCtx, cancel := context.WithCancel(ctx)
	c, err = firestore.NewClient(reqCtx, "p")
	must(t, err)
	cancel()
	_, err = c.Collection(cities).Doc("SF").Get(ctx)
	wantErr(t, err, "firestore: client creation context canceled")
	c.Close()
	leakFree()
}

func TestPubSub(t *testing.T) {
	pubsubRunningTopics := since(pubsub.RunningTopics)
	pubsubActiveReceives := since(pubsub.ActiveReceives)
	pubsubOpenClients := since(pubsub.OpenClients)
	ctx := context.Background()
	leakFree := goroutineBaseline(t)
	c, err := pubsub.NewClient(ctx, "proj")
	must(t, err)
	topicID, subID := uniq("orders"), uniq("orders-sub")
	topic, err := c.CreateTopic(ctx, topicID)
	must(t, err)
	_, err = c.CreateSubscription(ctx, subID, pubsub.SubscriptionConfig{Topic: topic})
	must(t, err)

	id, err := topic.Publish(ctx, &pubsub.Message{Data: []byte("one")}).Get(ctx)
	must(t, err)
	if id == "" {
		t.Fatal("no server ID")
	}
	wantCount(t, "RunningTopics", pubsubRunningTopics(), 1)
	topic.Stop()
	topic.Stop()
	wantCount(t, "RunningTopics", pubsubRunningTopics(), 0)
	if _, err := topic.Publish(ctx, &pubsub.Message{}).Get(ctx); !errors.Is(err, pubsub.ErrTopicStopped) {
		t.Fatalf("Publish after Stop: %v", err)
	}

	rctx, stop := context.WithCancel(ctx)
	var got []string
	err = c.Subscription(subID).Receive(rctx, func(ctx context.Context, m *pubsub.Message) {
		got = append(got, string(m.Data))
		m.Ack()
		stop()
	})
	must(t, err)
	if len(got) != 1 || got[0] != "one" {
		t.Fatalf("received %q", got)
	}
	wantCount(t, "ActiveReceives", pubsubActiveReceives(), 0)
	if err := c.Subscription("missing").Receive(ctx, func(context.Context, *pubsub.Message) {}); err == nil {
		t.Fatal("Receive on missing subscription succeeded")
	}

	// Receive blocks until its context is done, and returns when the
	// client's creation context is cancelled.
	reqCtx, cancel := context.WithCancel(ctx)
	c2, err := pubsub.NewClient(reqCtx, "proj")
	must(t, err)
	done := make(chan error, 1)
	go func() {
		done <- c2.Subscription(subID).Receive(ctx, func(context.Context, *pubsub.Message) {})
	}()
	time.Sleep(20 * time.Millisecond)
	wantCount(t, "ActiveReceives", pubsubActiveReceives(), 1)
	cancel()
	wantErr(t, <-done, "pubsub: client creation context canceled")
	c2.Close()

	must(t, c.Close())
	wantCount(t, "OpenClients", pubsubOpenClients(), 0)
	leakFree()
}

func TestPubSubLite(t *testing.T) {
	pubsubliteOpenClients := since(pubsublite.OpenClients)
	pscompatOpenClients := since(pscompat.OpenClients)
	ctx := context.Background()
	leakFree := goroutineBaseline(t)
	topic := "projects/p/locations/us-central1-a/topics/" + uniq("t")
	sub := "projects/p/locations/us-central1-a/subscriptions/" + uniq("s")
	admin, err := pubsublite.NewAdminClient(ctx, "us-central1")
	must(t, err)
	_, err = admin.CreateTopic(ctx, pubsublite.TopicConfig{Name: topic, PartitionCount: 1})
	must(t, err)
	_, err = admin.CreateSubscription(ctx, pubsublite.SubscriptionConfig{Name: sub, Topic: topic})
	must(t, err)
	wantCount(t, "pubsublite.OpenClients", pubsubliteOpenClients(), 1)
	must(t, admin.Close())
	wantCount(t, "pubsublite.OpenClients", pubsubliteOpenClients(), 0)

	if _, err := pscompat.NewPublisherClient(ctx, "bad"); err == nil {
		t.Fatal("invalid topic path accepted")
	}
	pub, err := pscompat.NewPublisherClient(ctx, topic)
	must(t, err)
	wantCount(t, "pscompat.OpenClients", pscompatOpenClients(), 1)
	_, err = pub.Publish(ctx, &pubsub.Message{Data: []byte("lite")}).Get(ctx)
	must(t, err)
	pub.Stop()
	pub.Stop()
	wantCount(t, "pscompat.OpenClients", pscompatOpenClients(), 0)
	if _, err := pub.Publish(ctx, &pubsub.Message{}).Get(ctx); !errors.Is(err, pscompat.ErrPublisherStopped) {
		t.Fatalf("Publish after Stop: %v", err)
	}

	s, err := pscompat.NewSubscriberClient(ctx, sub)
	must(t, err)
	rctx, stop := context.WithCancel(ctx)
	var got string
	must(t, s.Receive(rctx, func(_ context.Context, m *pubsub.Message) {
		got = string(m.Data)
		m.Ack()
		stop()
	}))
	if got != "lite" {
		t.Fatalf("received %q", got)
	}
	leakFree()
}

type row struct {
	Name  string `bigquery:"name"`
	Count int64  `bigquery:"count"`
}

func TestBigQuery(t *testing.T) {
	bigqueryOpenClients := since(bigquery.OpenClients)
	ctx := context.Background()
	leakFree := goroutineBaseline(t)
	c, err := bigquery.NewClient(ctx, "proj")
	must(t, err)
	wantCount(t, "OpenClients", bigqueryOpenClients(), 1)
	words := uniq("words")
	must(t, c.Dataset("ds").Table(words).Inserter().Put(ctx, []row{{"a", 1}, {"b", 2}}))

	it, err := c.Query("SELECT name, count FROM `proj.ds." + words + "` LIMIT 5").Read(ctx)
	must(t, err)
	var rows []row
	for {
		var r row
		err := it.Next(&r)
		if err == iterator.Done {
			break
		}
		must(t, err)
		rows = append(rows, r)
	}
	if len(rows) != 2 || rows[1] != (row{"b", 2}) {
		t.Fatalf("rows %+v", rows)
	}
	job, err := c.Query("SELECT 1").Run(ctx)
	must(t, err)
	status, err := job.Wait(ctx)
	must(t, err)
	must(t, status.Err())
	it, err = job.Read(ctx)
	must(t, err)
	var vals []bigquery.Value
	must(t, it.Next(&vals))
	if len(vals) != 1 || vals[0] != int64(1) {
		t.Fatalf("SELECT 1 gave %v", vals)
	}
	if _, err := c.Query("SELECT * FROM ds.missing").Read(ctx); err == nil {
		t.Fatal("query of missing table succeeded")
	}
	must(t, c.Close())
	_, err = c.Query("SELECT 1").Read(ctx)
	wantErr(t, err, "client is closed")
	wantCount(t, "OpenClients", bigqueryOpenClients(), 0)
	leakFree()

	reqCtx, cancel := context.WithCancel(ctx)
	c, err = bigquery.NewClient(reqCtx, "proj")
	must(t, err)
	cancel()
	_, err = c.Query("SELECT 1").Read(ctx)
	wantErr(t, err, "bigquery: client creation context canceled")
	c.Close()
	leakFree()
}

type singer struct {
	ID   int64  `spanner:"SingerId"`
	Name string `spanner:"Name"`
}

func TestSpanner(t *testing.T) {
	spannerOpenClients := since(spanner.OpenClients)
	spannerOpenIterators := since(spanner.OpenIterators)
	spannerOpenTransactions := since(spanner.OpenTransactions)
	ctx := context.Background()
	leakFree := goroutineBaseline(t)
	if _, err := spanner.NewClient(ctx, "not-a-db"); err == nil {
		t.Fatal("bad database name accepted")
	}
	db := "projects/p/instances/i/databases/" + uniq("d")
	c, err := spanner.NewClient(ctx, db)
	must(t, err)
	wantCount(t, "OpenClients", spannerOpenClients(), 1)
	_, err = c.Apply(ctx, []*spanner.Mutation{
		spanner.Insert("Singers", []string{"SingerId", "Name"}, []interface{}{1, "Marc"}),
		spanner.InsertOrUpdate("Singers", []string{"SingerId", "Name"}, []interface{}{2, "Cat"}),
	})
	must(t, err)
	r, err := c.Single().ReadRow(ctx, "Singers", spanner.Key{2}, []string{"Name"})
	must(t, err)
	var name string
	must(t, r.Columns(&name))
	if name != "Cat" {
		t.Fatalf("ReadRow name %q", name)
	}
	if _, err := c.Single().ReadRow(ctx, "Singers", spanner.Key{9}, []string{"Name"}); err == nil {
		t.Fatal("ReadRow of missing key succeeded")
	}

	stmt := spanner.Statement{SQL: "SELECT SingerId, Name FROM Singers WHERE SingerId = @id", Params: map[string]interface{}{"id": 1}}
	it := c.Single().Query(ctx, stmt)
	wantCount(t, "OpenIterators", spannerOpenIterators(), 1)
	var s singer
	must(t, it.Do(func(r *spanner.Row) error { return r.ToStruct(&s) }))
	if s != (singer{1, "Marc"}) {
		t.Fatalf("ToStruct %+v", s)
	}
	wantCount(t, "OpenIterators", spannerOpenIterators(), 0)

	it = c.Single().Query(ctx, spanner.NewStatement("SELECT Name FROM Singers"))
	if _, err := it.Next(); err != nil {
		t.Fatal(err)
	}
	wantCount(t, "OpenIterators", spannerOpenIterators(), 1)
	it.Stop()
	it.Stop()
	wantCount(t, "OpenIterators", spannerOpenIterators(), 0)

	ro := c.ReadOnlyTransaction()
	wantCount(t, "OpenTransactions", spannerOpenTransactions(), 1)
	ro.Close()
	wantCount(t, "OpenTransactions", spannerOpenTransactions(), 0)

	_, err = c.ReadWriteTransaction(ctx, func(ctx context.Context, tx *spanner.ReadWriteTransaction) error {
		n, err := tx.Update(ctx, spanner.Statement{SQL: "UPDATE Singers SET Name = @n WHERE SingerId = 1", Params: map[string]interface{}{"n": "Marc R"}})
		if n != 1 {
			t.Errorf("Update changed %d rows", n)
		}
		if err != nil {
			return err
		}
		return tx.BufferWrite([]*spanner.Mutation{spanner.Delete("Singers", spanner.Key{2})})
	})
	must(t, err)
	var count int64
	must(t, c.Single().Query(ctx, spanner.NewStatement("SELECT COUNT(*) FROM Singers")).Do(func(r *spanner.Row) error { return r.Column(0, &count) }))
	if count != 1 {
		t.Fatalf("count %d after delete", count)
	}

	c.Close()
	c.Close()
	_, err = c.Single().ReadRow(ctx, "Singers", spanner.Key{1}, []string{"Name"})
	wantErr(t, err, "client is closed")
	wantCount(t, "OpenClients", spannerOpenClients(), 0)
	leakFree()

	reqCtx, cancel := context.WithCancel(ctx)
	c, err = spanner.NewClient(reqCtx, db)
	must(t, err)
	cancel()
	_, err = c.Apply(ctx, nil)
	wantErr(t, err, "spanner: client creation context canceled")
	c.Close()
	leakFree()
}

func TestIDToken(t *testing.T) {
	idtokenConstructed := since(idtoken.Constructed)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	hc, err := idtoken.NewClient(ctx, "https://svc")
	must(t, err)
	wantCount(t, "Constructed", idtokenConstructed(), 1)
	resp, err := hc.Get(srv.URL)
	must(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	tok, _ := stringsCut(string(b), "Bearer ")
	p, err := idtoken.Validate(context.Background(), tok, "https://svc")
	must(t, err)
	if p.Audience != "https://svc" {
		t.Fatalf("audience %q", p.Audience)
	}
	cancel()
	_, err = hc.Get(srv.URL)
	wantErr(t, err, "idtoken: client creation context canceled")
	if _, err := idtoken.NewClient(cancelled(), "a"); err == nil {
		t.Fatal("NewClient with cancelled ctx succeeded")
	}
	srv.CloseClientConnections()
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
}

func stringsCut(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return s, false
}
