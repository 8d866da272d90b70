// An Express app that pipes files into responses (js-unhandled-pipe).
const express = require("express");
const fs = require("node:fs");
const path = require("node:path");

const app = express();
const DATA = path.join(__dirname, "data");

app.get("/files/:name", (req, res, next) => {
  const file = path.join(DATA, path.basename(req.params.name));
  res.type("application/octet-stream");
  fs.createReadStream(file).pipe(res);
});

app.use((err, req, res, next) => {
  res.status(err.code === "ENOENT" ? 404 : 500).json({ error: err.code });
});

module.exports = app;
