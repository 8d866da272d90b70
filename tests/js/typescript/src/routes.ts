// TypeScript routes with the leaks of three JavaScript rules: what leakfix
// writes must still type-check under `strict`.
import express, { NextFunction, Request, Response } from "express";
import { MongoClient } from "mongodb";
import { Pool, PoolClient } from "pg";

const pool = new Pool();
export const router = express.Router();

router.use(async (req: Request, res: Response, next: NextFunction) => {
  req.db = await pool.connect();
  res.on("finish", () => {
    req.db?.release();
  });
  next();
});

router.get("/users/:id", async (req: Request, res: Response) => {
  const client: PoolClient = await pool.connect();
  const { rows } = await client.query("SELECT 1 WHERE $1", [req.params.id]);
  if (rows.length === 0) {
    return res.sendStatus(404);
  }
  client.release();
  return res.json(rows[0]);
});

router.get("/orders", async (req: Request, res: Response) => {
  const orders = new Pool({ connectionString: process.env.ORDERS_URL });
  const { rows } = await orders.query("SELECT * FROM orders");
  await orders.end();
  return res.json(rows);
});

router.get("/docs", async (req: Request, res: Response) => {
  const mongo = new MongoClient("mongodb://localhost/app");
  await mongo.connect();
  const doc = await mongo.db().collection("docs").findOne();
  await mongo.close();
  return res.json(doc);
});

declare const process: { env: Record<string, string | undefined> };
