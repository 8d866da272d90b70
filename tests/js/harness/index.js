"use strict";
// Shared by the fixture apps' runtime tests: start an app, send requests
// (some of which the client aborts mid-flight), wait for the server to
// settle, count open descriptors, and record the answers so that the
// answers before and after leakfix can be compared.

const fs = require("node:fs");
const http = require("node:http");

function listen(app) {
  return new Promise((resolve) => {
    const server = app.listen(0, "127.0.0.1", () => resolve(server));
  });
}

function close(server) {
  server.closeAllConnections?.();
  return new Promise((resolve) => server.close(() => resolve()));
}

// One request. `abortAfterMs`: the client destroys the socket that long
// after sending; `abortOnData`: on the first chunk of the body.
function request(
  port,
  path,
  { method = "GET", abortAfterMs, abortOnData } = {},
) {
  return new Promise((resolve) => {
    let done = false;
    const finish = (v) => {
      if (!done) {
        done = true;
        resolve(v);
      }
    };
    const req = http.request(
      { host: "127.0.0.1", port, path, method, agent: false },
      (res) => {
        let length = 0;
        const chunks = [];
        res.on("data", (chunk) => {
          length += chunk.length;
          if (length < 4096) chunks.push(chunk);
          if (abortOnData) {
            req.destroy();
            finish({ aborted: true });
          }
        });
        res.on("end", () =>
          finish({
            status: res.statusCode,
            length,
            body: length < 4096 ? Buffer.concat(chunks).toString() : "",
          }),
        );
        res.on("error", () => finish({ aborted: true }));
      },
    );
    req.on("error", () => finish({ aborted: true }));
    // A request the server never answers (a handler that crashed).
    req.setTimeout(5000, () => {
      req.destroy();
      finish({ timedOut: true });
    });
    if (abortAfterMs !== undefined) {
      setTimeout(() => {
        req.destroy();
        finish({ aborted: true });
      }, abortAfterMs);
    }
    req.end();
  });
}

// Sends `specs` ({ path, ...options }) with at most `concurrency` in flight.
async function sendAll(port, specs, concurrency = 25) {
  const results = new Array(specs.length);
  let next = 0;
  async function worker() {
    while (next < specs.length) {
      const i = next++;
      results[i] = await request(port, specs[i].path, specs[i]);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

const settle = (ms = 300) => new Promise((resolve) => setTimeout(resolve, ms));

// Descriptors this process holds open on files whose path contains `part`
// (Linux: /proc/self/fd). null where /proc is not available.
function openDescriptors(part) {
  let fds;
  try {
    fds = fs.readdirSync("/proc/self/fd");
  } catch {
    return null;
  }
  let n = 0;
  for (const fd of fds) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`).includes(part)) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

// Writes the answers (status and body of every request that was not
// aborted, by kind, in a stable order) where LEAKFIX_ANSWERS says.
function recordAnswers(name, specs, results) {
  const file = process.env.LEAKFIX_ANSWERS;
  if (!file) return;
  const answers = {};
  specs.forEach((spec, i) => {
    const r = results[i];
    if (spec.abortAfterMs !== undefined || spec.abortOnData || r.aborted)
      return;
    const key = `${spec.method || "GET"} ${spec.path}`;
    answers[key] = `${r.status} ${r.length} ${r.body}`;
  });
  let all = {};
  try {
    all = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    // first test of the run
  }
  all[name] = answers;
  const sorted = {};
  for (const k of Object.keys(all).sort()) {
    sorted[k] = {};
    for (const j of Object.keys(all[k]).sort()) sorted[k][j] = all[k][j];
  }
  fs.writeFileSync(file, JSON.stringify(sorted, null, 2));
}

module.exports = {
  listen,
  close,
  request,
  sendAll,
  settle,
  openDescriptors,
  recordAnswers,
};
