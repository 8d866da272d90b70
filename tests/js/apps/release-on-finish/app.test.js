// Hundreds of requests, some failing, some aborted by the client while the
// query runs: every client goes back to the pool, once.
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const pg = require("pg");
const h = require("../../harness");
const app = require("./app");

let server;
let port;

before(async () => {
  server = await h.listen(app);
  port = server.address().port;
});

after(() => h.close(server));

test("every client is released once, aborted requests too", async () => {
  const specs = [];
  for (let i = 0; i < 100; i++) {
    specs.push({ path: `/users/${i}` });
    specs.push({ path: "/users/bad" });
    specs.push({ path: `/users/${i}`, abortAfterMs: 10 });
  }
  const results = await h.sendAll(port, specs);
  await h.settle();
  h.recordAnswers("release-on-finish", specs, results);

  const ok = results.filter((r) => r.status === 200);
  assert.ok(ok.length >= 100, `only ${ok.length} requests succeeded`);
  assert.equal(pg.__stats.releasedTwice, 0, "a client was released twice");
  assert.equal(pg.__stats.checkedOut, 0, "pool clients still checked out");
});
