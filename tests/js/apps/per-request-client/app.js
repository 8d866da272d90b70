// An Express app that builds a connection pool per request
// (js-per-request-client).
const express = require("express");
const { Pool } = require("pg");

const app = express();

const wrap = (fn) => (req, res, next) => fn(req, res).catch(next);

app.get(
  "/orders/:id",
  wrap(async (req, res) => {
    const pool = new Pool({ connectionString: process.env.DATABASE_URL });
    try {
      const sql = req.params.id === "bad" ? "SELECT FAIL" : "SLOW SELECT order";
      const { rows } = await pool.query(sql, [req.params.id]);
      res.json({ id: req.params.id, rows: rows.length });
    } finally {
      await pool.end();
    }
  }),
);

app.get(
  "/stats",
  wrap(async (req, res) => {
    const pool = new Pool({ connectionString: process.env.DATABASE_URL });
    const { rows } = await pool.query("SELECT count(*) FROM orders");
    await pool.end();
    res.json({ rows: rows.length });
  }),
);

app.use((err, req, res, next) => {
  res.status(500).json({ error: err.message });
});

module.exports = app;
