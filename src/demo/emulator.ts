import { buildApp } from "fauxqs";

export interface Emulator {
  /** http://127.0.0.1:PORT: the SQS and S3 endpoint. */
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * An in-process S3+SQS emulator (fauxqs) on 127.0.0.1 only. fauxqs's own starter binds every
 * interface, so the app is built and bound here instead.
 */
export async function startEmulator(opts: { region?: string; port?: number } = {}): Promise<Emulator> {
  const app = buildApp({ logger: false, defaultRegion: opts.region ?? "us-east-1" });
  const address = await app.listen({ host: "127.0.0.1", port: opts.port ?? 0 });
  const port = new URL(address).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      await app.close();
    },
  };
}
