// Hundreds of requests, some failing, some aborted by the client: no
// client may stay checked out and no file may stay open.
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const pg = require("pg");
const h = require("../../harness");
const app = require("./app");

const DATA = path.join(__dirname, "data");
let server;
let port;
const gcClosed = [];

before(async () => {
  fs.mkdirSync(DATA, { recursive: true });
  fs.writeFileSync(path.join(DATA, "hello.txt"), "hello\n");
  fs.writeFileSync(path.join(DATA, "empty.txt"), "");
  // A FileHandle left to the garbage collector is a leak too.
  process.on("warning", (w) => {
    if (/Closing file descriptor/.test(w.message)) gcClosed.push(w.message);
  });
  server = await h.listen(app);
  port = server.address().port;
});

after(() => h.close(server));

test("no pool client or file handle outlives its request", async () => {
  const specs = [];
  for (let i = 0; i < 50; i++) {
    specs.push({ path: `/users/${i}` });
    specs.push({ path: "/users/bad" });
    specs.push({ path: "/users/missing" });
    specs.push({ path: `/users/${i}`, abortAfterMs: 10 });
    specs.push({ path: "/transfer/ok", method: "POST" });
    specs.push({ path: "/transfer/fail", method: "POST" });
    specs.push({ path: "/transfer/both", method: "POST" });
    specs.push({ path: "/files/hello.txt" });
    specs.push({ path: "/files/empty.txt" });
    specs.push({ path: "/files/nope.txt" });
  }
  const results = await h.sendAll(port, specs);
  await h.settle();
  h.recordAnswers("missing-release", specs, results);

  const ok = results.filter(
    (r, i) => !specs[i].abortAfterMs && r.status === 200,
  );
  assert.ok(ok.length >= 150, `only ${ok.length} requests succeeded`);
  assert.equal(pg.__stats.releasedTwice, 0, "a client was released twice");
  assert.equal(pg.__stats.checkedOut, 0, "pool clients still checked out");
  const open = h.openDescriptors(DATA);
  if (open !== null) assert.equal(open, 0, "files still open");
  assert.deepEqual(
    gcClosed,
    [],
    "file handles closed by the garbage collector",
  );
});
