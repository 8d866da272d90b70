// An Express service with the leaks leakfix's JavaScript rules find:
//   leakfix check examples/js            (report)
//   leakfix fix --unsafe examples/js     (fix; adds on-finished to package.json)
const express = require("express");
const fs = require("node:fs");
const path = require("node:path");
const { Pool } = require("pg");

const pool = new Pool({ connectionString: process.env.DATABASE_URL });
const app = express();
const REPORTS = path.join(__dirname, "reports");

// js-release-on-finish: the client is never released when the caller
// disconnects before the response is sent.
app.use(async (req, res, next) => {
  try {
    req.db = await pool.connect();
  } catch (err) {
    return next(err);
  }
  res.on("finish", () => {
    req.db.release();
  });
  next();
});

// js-missing-release: a failing query, or an unknown user, keeps the
// client checked out for good.
app.get("/users/:id", async (req, res, next) => {
  const client = await pool.connect();
  const { rows } = await client.query("SELECT * FROM users WHERE id = $1", [
    req.params.id,
  ]);
  if (rows.length === 0) {
    return res.sendStatus(404);
  }
  client.release();
  res.json(rows[0]);
});

// js-per-request-client: a new pool (and new connections) per request.
app.get("/stats", async (req, res, next) => {
  const stats = new Pool({ connectionString: process.env.STATS_URL });
  const { rows } = await stats.query("SELECT count(*) FROM events");
  await stats.end();
  res.json(rows[0]);
});

// js-unhandled-pipe: an abandoned download keeps the file open.
app.get("/reports/:name", (req, res, next) => {
  const file = path.join(REPORTS, path.basename(req.params.name));
  fs.createReadStream(file).pipe(res);
});

app.listen(process.env.PORT || 3000);
