// Hundreds of downloads, many abandoned by the client after the first
// chunk: no descriptor may stay open. Then missing files: an error, not a
// crash.
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const h = require("../../harness");
const app = require("./app");

const DATA = path.join(__dirname, "data");
let server;
let port;

before(async () => {
  fs.mkdirSync(DATA, { recursive: true });
  fs.writeFileSync(path.join(DATA, "small.txt"), "small file\n");
  fs.writeFileSync(
    path.join(DATA, "big.bin"),
    Buffer.alloc(4 * 1024 * 1024, 7),
  );
  server = await h.listen(app);
  port = server.address().port;
});

after(() => h.close(server));

test("aborted downloads close their files", async () => {
  const specs = [];
  for (let i = 0; i < 100; i++) {
    specs.push({ path: "/files/small.txt" });
    specs.push({ path: "/files/big.bin" });
    specs.push({ path: "/files/big.bin", abortOnData: true });
  }
  const results = await h.sendAll(port, specs, 10);
  await h.settle(500);
  h.recordAnswers("unhandled-pipe", specs, results);

  const ok = results.filter((r) => r.status === 200);
  assert.ok(ok.length >= 200, `only ${ok.length} downloads succeeded`);
  const open = h.openDescriptors(DATA);
  if (open === null) return; // no /proc: nothing to count
  assert.equal(open, 0, "files still open");
});

test("a missing file is an error, not a crash", async () => {
  const specs = [];
  for (let i = 0; i < 20; i++) specs.push({ path: `/files/missing-${i}.txt` });
  const results = await h.sendAll(port, specs);
  // pipeline destroys the response on a read error: the client sees an
  // error status or the connection close, never a request left hanging.
  for (const r of results) {
    assert.ok(r.status >= 400 || r.aborted, JSON.stringify(r));
  }
  const after = await h.request(port, "/files/small.txt");
  assert.equal(after.body, "small file\n", "the server still answers");
});
