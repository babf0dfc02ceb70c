/**
 * Serves the development model on a loopback port of its own, started on first use, so worker
 * processes (which serve no HTTP) can reach it over the OpenAI protocol like any provider.
 */
import express from 'express';
import type { Server } from 'node:http';
import { devModelRouter } from './dev-model.js';

export class DevModelServer {
  private server: Server | undefined;
  private started: Promise<string> | undefined;

  /** The base URL (ending in /v1). */
  url(): Promise<string> {
    this.started ??= new Promise((resolve, reject) => {
      const app = express();
      app.use(express.json({ limit: '64mb' }));
      app.use(devModelRouter());
      const server = app.listen(0, '127.0.0.1', () => {
        const addr = server.address();
        resolve(`http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/v1`);
      });
      server.once('error', reject);
      this.server = server;
    });
    return this.started;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}
