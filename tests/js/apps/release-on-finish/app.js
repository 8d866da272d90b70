// An Express app whose middleware checks a client out per request and
// gives it back when the response finishes (js-release-on-finish).
const express = require("express");
const { Pool } = require("pg");

const pool = new Pool({ max: 10 });
const app = express();

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

app.get("/users/:id", (req, res, next) => {
  const sql = req.params.id === "bad" ? "SELECT FAIL" : "SLOW SELECT user";
  req.db
    .query(sql, [req.params.id])
    .then(({ rows }) => res.json({ id: req.params.id, rows: rows.length }))
    .catch(next);
});

app.use((err, req, res, next) => {
  res.status(500).json({ error: err.message });
});

module.exports = app;
