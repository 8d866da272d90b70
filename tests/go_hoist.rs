//! go-per-request-client against the Go toolchain: fixture apps under
//! tests/go/fixtures/hoist-* build clients per request in every handler
//! style; their runtime tests serve hundreds of requests, each with a
//! context cancelled when it ends, and count the clients built and left
//! open. After `leakfix fix --unsafe` they must pass, gofmt and go vet must
//! be clean, and a second run must change nothing.

use crate::common::{
    go_command, go_fixture_roundtrip, go_sources, go_workspace, leakfix, require_tool,
};

/// Handlers, a method, closures (one capturing a local of the function that
/// registers it), a background function, a helper with a loop, a loop
/// outside per-request code, a request-dependent client, two files sharing
/// one accessor, and a database that is down on the first request.
#[test]
fn app_shares_its_clients() {
    let Some(ws) = go_fixture_roundtrip("hoist-app", &["fix", "--unsafe"]) else {
        return;
    };
    let dir = ws.path().join("fixtures/hoist-app");
    let greet = std::fs::read_to_string(dir.join("greet.go")).unwrap();
    assert!(
        !greet.contains("cloud.google.com/go/firestore") && !greet.contains("\"context\""),
        "greet.go no longer uses firestore or context, so their imports go:\n{greet}"
    );
    let app = std::fs::read_to_string(dir.join("app.go")).unwrap();
    assert!(
        app.contains("rdb := redis.NewClient(&redis.Options{Addr: r.URL.Query().Get(\"addr\")})\n\tdefer rdb.Close()"),
        "the request-dependent client keeps go-missing-release's fix:\n{app}"
    );
    assert_eq!(
        app.matches("func storageClient()").count(),
        1,
        "one accessor per distinct client:\n{app}"
    );
}

/// gin, echo, chi, fiber, Lambda and Functions Framework handlers.
#[test]
fn every_handler_style_shares_its_client() {
    go_fixture_roundtrip("hoist-frameworks", &["fix", "--unsafe"]);
}

/// `go 1.18`: no atomic.Pointer (Go 1.19); the mutex-only accessor retries
/// after a failed open.
#[test]
fn old_go_gets_a_mutex_only_accessor() {
    let Some(ws) = go_fixture_roundtrip("hoist-go118", &["fix", "--unsafe"]) else {
        return;
    };
    let legacy = std::fs::read_to_string(ws.path().join("fixtures/hoist-go118/legacy.go")).unwrap();
    assert!(
        legacy.contains("sync.Mutex") && !legacy.contains("atomic"),
        "{legacy}"
    );
}

/// `fix` (go-missing-release closes the clients per request) then
/// `fix --unsafe` ends where `fix --unsafe` alone does.
#[test]
fn safe_then_unsafe_converges() {
    if !require_tool("go") {
        return;
    }
    for module in ["hoist-app", "hoist-frameworks"] {
        let direct = go_workspace();
        let stepwise = go_workspace();
        let d = direct.path().join("fixtures").join(module);
        let s = stepwise.path().join("fixtures").join(module);
        for (dir, runs) in [
            (&d, &[&["fix", "--unsafe"][..]][..]),
            (&s, &[&["fix"][..], &["fix", "--unsafe"][..]][..]),
        ] {
            for args in runs {
                let out = leakfix().args(*args).arg(dir).output().unwrap();
                assert!(
                    matches!(out.status.code(), Some(0 | 1)),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
        let strip = |ws: &std::path::Path, files: Vec<(std::path::PathBuf, Vec<u8>)>| {
            files
                .into_iter()
                .map(|(p, b)| (p.strip_prefix(ws).unwrap().to_path_buf(), b))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            strip(direct.path(), go_sources(&d)),
            strip(stepwise.path(), go_sources(&s)),
            "{module}: `fix` then `fix --unsafe` differs from `fix --unsafe`"
        );
        let out = go_command(&s, &["test", "-count=1", "./..."]);
        assert!(
            out.status.success(),
            "{module}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// A CRLF file gets CRLF lines (accessor, imports) and stays parseable; a
/// second run changes nothing.
#[test]
fn crlf_files_stay_crlf() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("go.mod"),
        "module example.com/crlf\n\ngo 1.22\n",
    )
    .unwrap();
    let src = "package crlf\n\nimport (\n\t\"net/http\"\n\n\t\"cloud.google.com/go/storage\"\n)\n\nfunc h(w http.ResponseWriter, r *http.Request) {\n\tc, err := storage.NewClient(r.Context())\n\tif err != nil {\n\t\treturn\n\t}\n\tdefer c.Close()\n\tw.Write([]byte(c.Bucket(\"b\").Object(\"o\").ObjectName()))\n}\n"
        .replace('\n', "\r\n");
    let file = dir.path().join("h.go");
    std::fs::write(&file, &src).unwrap();
    let out = leakfix()
        .args(["fix", "--unsafe"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let fixed = std::fs::read_to_string(&file).unwrap();
    assert!(
        fixed.contains("storageClient()") && fixed.contains("func storageClient()"),
        "{fixed}"
    );
    assert_eq!(
        fixed.matches('\n').count(),
        fixed.matches("\r\n").count(),
        "mixed line endings:\n{fixed}"
    );
    assert!(leakfix::lang::Language::Go.parse(&fixed).1.is_none());
    let out = leakfix()
        .args(["fix", "--unsafe"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), fixed);
    // gofmt writes LF; apart from line endings the output is what it would write.
    if require_tool("gofmt") {
        let lf = dir.path().join("lf.go");
        std::fs::write(&lf, fixed.replace("\r\n", "\n")).unwrap();
        let out = std::process::Command::new("gofmt")
            .arg("-l")
            .arg(&lf)
            .output()
            .unwrap();
        assert!(out.stdout.is_empty(), "not gofmt-clean:\n{fixed}");
    }
}

/// gRPC service methods (the type embeds the generated
/// UnimplementedOrdersServer and is registered), a method factory, two
/// levels of factories in another package, a forked library that go.mod
/// replaces with a folder in the module, an HTTP transport literal, AWS v1
/// sessions and v2 configs, a handler whose receiver is built once (the
/// client becomes a field set there), handlers building what a package
/// variable set in init already holds: one client per distinct construction over
/// hundreds of calls, and one upstream connection.
#[test]
fn services_share_their_clients() {
    let Some(ws) = go_fixture_roundtrip("hoist-services", &["fix", "--unsafe"]) else {
        return;
    };
    let dir = ws.path().join("fixtures/hoist-services");
    let service = std::fs::read_to_string(dir.join("service.go")).unwrap();
    assert!(
        service.contains("return storageClient()") && !service.contains("defer gcs.Close()"),
        "the method factory hands out the shared client and its callers stop closing it:\n{service}"
    );
    let api = std::fs::read_to_string(dir.join("api.go")).unwrap();
    assert!(
        api.contains("firestoreClient *firestore.Client")
            && api.contains("fs := a.firestoreClient")
            && !api.contains("Cache"),
        "the handler's receiver, built once by NewAPI, holds the client:\n{api}"
    );
    let audit = std::fs::read_to_string(dir.join("audit.go")).unwrap();
    assert!(
        audit.contains("ds := legacy"),
        "the handler reads the client init already built the same way:\n{audit}"
    );
    let gcp = std::fs::read_to_string(dir.join("gcp/gcp.go")).unwrap();
    assert!(
        !gcp.contains("Cache"),
        "an exported factory of another package is left as it is:\n{gcp}"
    );
}

/// Code that must stay as it is, in a module and in a folder without a
/// go.mod: clients kept in a global or a field, returned to callers
/// elsewhere, built from the request (per-tenant credentials), closed by
/// a factory's check, a client on the default transport.
#[test]
fn kept_clients_are_not_touched() {
    const SRC: &str = r#"package keep

import (
	"context"
	"crypto/tls"
	"net/http"
	"time"

	"cloud.google.com/go/firestore"
	"cloud.google.com/go/storage"

	pb "example.com/gen/orders"
)

var shared *storage.Client

type orders struct {
	pb.UnimplementedOrdersServer
	db *firestore.Client
}

func (o *orders) Get(ctx context.Context, in *pb.GetRequest) (*pb.Order, error) {
	it := o.db.Collection("orders").Documents(ctx)
	defer it.Stop()
	_ = shared.Bucket("b")
	return &pb.Order{}, nil
}

func (o *orders) Tenant(ctx context.Context, in *pb.TenantRequest) (*pb.Order, error) {
	db, err := firestore.NewClient(ctx, in.Project)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	_ = db.Collection("orders")
	return &pb.Order{}, nil
}

func NewStore(ctx context.Context) (*storage.Client, error) {
	return storage.NewClient(ctx)
}

func (o *orders) checked(ctx context.Context) (*storage.Client, error) {
	c, err := storage.NewClient(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := c.Bucket("b").Attrs(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (o *orders) Attrs(ctx context.Context, in *pb.GetRequest) (*pb.Order, error) {
	c, err := o.checked(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.Bucket("b")
	return &pb.Order{}, nil
}

func (o *orders) keep(ctx context.Context) (*storage.Client, error) {
	return storage.NewClient(ctx)
}

func (o *orders) Warm(ctx context.Context, in *pb.GetRequest) (*pb.Order, error) {
	c, err := o.keep(ctx)
	if err != nil {
		return nil, err
	}
	shared = c
	return &pb.Order{}, nil
}

func plain(w http.ResponseWriter, r *http.Request) {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("https://example.com/")
	if err != nil {
		return
	}
	defer resp.Body.Close()
}

func mtls(w http.ResponseWriter, r *http.Request) {
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{ServerName: r.Host}}}
	resp, err := client.Get("https://example.com/")
	if err != nil {
		return
	}
	defer resp.Body.Close()
}
"#;
    for with_mod in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        if with_mod {
            std::fs::write(
                dir.path().join("go.mod"),
                "module example.com/keep\n\ngo 1.22\n",
            )
            .unwrap();
        }
        let file = dir.path().join("keep.go");
        std::fs::write(&file, SRC).unwrap();
        let out = leakfix()
            .args(["fix", "--unsafe", "--rule", "go-per-request-client"])
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            SRC,
            "go.mod: {with_mod}\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// The receiver's builder is called by the package's tests: building the
/// client there would make those tests build it too (and fail without
/// credentials), so the handler gets the lazily built accessor instead.
#[test]
fn builders_called_by_tests_keep_the_accessor() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("go.mod"),
        "module example.com/svc\n\ngo 1.22\n",
    )
    .unwrap();
    let src = "package svc\n\nimport (\n\t\"fmt\"\n\t\"net/http\"\n\n\t\"cloud.google.com/go/firestore\"\n)\n\ntype api struct {\n\tregion string\n}\n\nfunc newAPI(region string) (*api, error) {\n\treturn &api{region: region}, nil\n}\n\nfunc (a *api) status(w http.ResponseWriter, r *http.Request) {\n\tfs, err := firestore.NewClient(r.Context(), \"demo\")\n\tif err != nil {\n\t\treturn\n\t}\n\tdefer fs.Close()\n\tfmt.Fprintln(w, fs.Collection(\"orders\").Path)\n}\n\nfunc routes(a *api) {\n\thttp.HandleFunc(\"/status\", a.status)\n}\n";
    std::fs::write(dir.path().join("api.go"), src).unwrap();
    std::fs::write(
        dir.path().join("api_test.go"),
        "package svc\n\nimport \"testing\"\n\nfunc TestAPI(t *testing.T) {\n\tif _, err := newAPI(\"eu\"); err != nil {\n\t\tt.Fatal(err)\n\t}\n}\n",
    )
    .unwrap();
    let out = leakfix()
        .args(["fix", "--unsafe", "--rule", "go-per-request-client"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)));
    let fixed = std::fs::read_to_string(dir.path().join("api.go")).unwrap();
    assert!(
        fixed.contains("fs, err := firestoreClient()") && !fixed.contains("a.firestoreClient"),
        "{fixed}"
    );
}
