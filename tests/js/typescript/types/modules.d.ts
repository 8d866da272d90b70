// Just enough of the libraries' types for tsc to check what leakfix
// writes (no node_modules: the real packages' types are not installed).
declare module "pg" {
  export interface QueryResult {
    rows: Record<string, unknown>[];
  }
  export interface PoolClient {
    query(sql: string, params?: unknown[]): Promise<QueryResult>;
    release(err?: Error | boolean): void;
  }
  export class Pool {
    constructor(config?: { connectionString?: string; max?: number });
    connect(): Promise<PoolClient>;
    query(sql: string, params?: unknown[]): Promise<QueryResult>;
    end(): Promise<void>;
  }
}

declare module "mongodb" {
  export class MongoClient {
    constructor(url: string);
    connect(): Promise<MongoClient>;
    db(name?: string): {
      collection(name: string): { findOne(): Promise<unknown> };
    };
    close(): Promise<void>;
  }
}

declare module "express" {
  export interface Request {
    params: Record<string, string>;
    db?: import("pg").PoolClient;
  }
  export interface Response {
    json(body: unknown): Response;
    sendStatus(code: number): Response;
    on(event: string, listener: () => void): Response;
  }
  export type NextFunction = (err?: unknown) => void;
  export type Handler = (req: Request, res: Response, next: NextFunction) => unknown;
  export interface Router {
    get(path: string, ...handlers: Handler[]): Router;
    use(...handlers: Handler[]): Router;
  }
  interface Express {
    (): Router;
    Router(): Router;
  }
  const express: Express;
  export default express;
}

declare module "on-finished" {
  function onFinished<T>(msg: T, listener: (err: Error | null, msg: T) => void): T;
  export default onFinished;
}
