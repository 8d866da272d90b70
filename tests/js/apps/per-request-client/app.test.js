// Hundreds of requests, some failing, some aborted: one pool serves them
// all, and no client stays checked out.
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

test("one pool serves every request", async () => {
  const specs = [];
  for (let i = 0; i < 100; i++) {
    specs.push({ path: `/orders/${i}` });
    specs.push({ path: "/orders/bad" });
    specs.push({ path: `/orders/${i}`, abortAfterMs: 10 });
    specs.push({ path: "/stats" });
  }
  const results = await h.sendAll(port, specs);
  await h.settle();
  h.recordAnswers("per-request-client", specs, results);

  const ok = results.filter((r) => r.status === 200);
  assert.ok(ok.length >= 200, `only ${ok.length} requests succeeded`);
  assert.equal(pg.__stats.poolsCreated, 1, "pools built");
  assert.equal(pg.__stats.checkedOut, 0, "pool clients still checked out");
});
