// An Express app whose handlers release pool clients and file handles on
// the happy path only (js-missing-release).
const express = require("express");
const fs = require("node:fs");
const path = require("node:path");
const { Pool } = require("pg");

const pool = new Pool({ max: 10 });
const app = express();
const DATA = path.join(__dirname, "data");

const wrap = (fn) => (req, res, next) => fn(req, res).catch(next);

// Failing queries and missing users skip the release.
app.get(
  "/users/:id",
  wrap(async (req, res) => {
    const client = await pool.connect();
    const sql = req.params.id === "bad" ? "SELECT FAIL" : "SLOW SELECT user";
    const { rows } = await client.query(sql, [req.params.id]);
    if (req.params.id === "missing") {
      return res.status(404).json({ error: "no such user" });
    }
    client.release();
    res.json({ id: req.params.id, rows: rows.length });
  }),
);

// A failing rollback skips the release.
app.post(
  "/transfer/:mode",
  wrap(async (req, res) => {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await client.query(req.params.mode === "ok" ? "SLOW UPDATE" : "FAIL");
      await client.query("COMMIT");
      client.release();
    } catch (err) {
      await client.query(
        req.params.mode === "both" ? "FAIL ROLLBACK" : "ROLLBACK",
      );
      client.release();
      throw err;
    }
    res.json({ done: true });
  }),
);

// An empty file skips the close.
app.get(
  "/files/:name",
  wrap(async (req, res) => {
    const fh = await fs.promises.open(
      path.join(DATA, path.basename(req.params.name)),
    );
    const text = await fh.readFile("utf8");
    if (text.length === 0) {
      return res.status(204).end();
    }
    await fh.close();
    res.type("text/plain").send(text);
  }),
);

app.use((err, req, res, next) => {
  res.status(500).json({ error: err.message });
});

module.exports = app;
