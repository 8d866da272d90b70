"use strict";
// A stand-in for node-postgres (pg): no database, but the same Pool and
// Client surface the fixture apps use, and counters the runtime tests
// read: pools built and ended, clients checked out and not yet released,
// clients released twice (which throws, as in pg).
//
// Queries take a millisecond ("SLOW" in the SQL: 40 ms, so a client can
// abort mid-flight) and fail when the SQL contains "FAIL".

const stats = {
  poolsCreated: 0,
  poolsEnded: 0,
  checkedOut: 0,
  maxCheckedOut: 0,
  releasedTwice: 0,
  queries: 0,
};

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class Client {
  constructor(pool) {
    this.pool = pool;
    this.released = false;
  }

  async query(sql, params = []) {
    stats.queries++;
    await delay(sql.includes("SLOW") ? 40 : 1);
    if (sql.includes("FAIL")) {
      throw new Error(`query failed: ${sql}`);
    }
    return { rows: [{ sql, params }], rowCount: 1 };
  }

  release() {
    if (this.released) {
      stats.releasedTwice++;
      throw new Error(
        "Release called on client which has already been released to the pool.",
      );
    }
    this.released = true;
    stats.checkedOut--;
  }
}

class Pool {
  constructor(config = {}) {
    stats.poolsCreated++;
    this.config = config;
    this.ended = false;
  }

  async connect() {
    await delay(1);
    if (this.ended) {
      throw new Error("Cannot use a pool after calling end on the pool");
    }
    stats.checkedOut++;
    stats.maxCheckedOut = Math.max(stats.maxCheckedOut, stats.checkedOut);
    return new Client(this);
  }

  async query(sql, params) {
    const client = await this.connect();
    try {
      return await client.query(sql, params);
    } finally {
      client.release();
    }
  }

  async end() {
    this.ended = true;
    stats.poolsEnded++;
  }
}

module.exports = { Pool, Client, __stats: stats };
