// A small service with the lifecycle bugs leakfix finds. Try:
//
//	leakfix check examples/
//	leakfix check --format diff examples/
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"time"

	"cloud.google.com/go/firestore"
	"cloud.google.com/go/storage"
)

var db *sql.DB // shared for the whole process: never closed per request

func main() {
	var err error
	db, err = sql.Open("postgres", os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("/profile", profile)
	http.HandleFunc("/report", report)
	log.Fatal(http.ListenAndServe(":8080", nil))
}

// profile builds a Firestore client on every request and never closes it:
// each request leaks a gRPC connection pool and its goroutines.
func profile(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	client, err := firestore.NewClient(ctx, os.Getenv("PROJECT_ID"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	watchDB("profile")
	doc, err := client.Collection("users").Doc(r.URL.Query().Get("id")).Get(ctx)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	json.NewEncoder(w).Encode(doc.Data())
}

// report reads rows and an object, and fetches an URL: three more leaks.
func report(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)

	rows, err := db.QueryContext(ctx, "SELECT name FROM users")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			break
		}
		fmt.Fprintln(w, name)
	}

	gcs, err := storage.NewClient(ctx)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	rc, err := gcs.Bucket("reports").Object("footer.txt").NewReader(ctx)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	io.Copy(w, rc)

	resp, err := http.Get("https://example.com/status")
	if err != nil {
		return
	}
	io.Copy(w, resp.Body)
}

// watchDB pings the database until... never: its goroutine loops forever on
// a background context, and every request that calls it adds one more.
func watchDB(name string) {
	ctx := context.Background()
	go func() {
		for {
			if err := db.PingContext(ctx); err != nil {
				log.Printf("%s: %v", name, err)
			}
			time.Sleep(time.Second)
		}
	}()
}

// tail polls a file; the ticker keeps firing after tail returns.
func tail(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	ticker := time.NewTicker(time.Second)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
			b, err := io.ReadAll(f)
			if err != nil {
				return err
			}
			os.Stdout.Write(b)
		}
	}
}
