#!/usr/bin/env node
// The container's HEALTHCHECK: GET /healthz on the daemon's own endpoint (S3BEAT_HTTP_PORT, default
// 5066, on the container's loopback). Exit 0 when it answers 200, 1 otherwise. Plain JavaScript and
// node:http only, so the check costs one short-lived process and no shell or curl in the image.
import { request } from "node:http";

const port = Number(process.env.S3BEAT_HTTP_PORT || 5066);
const req = request({ host: "127.0.0.1", port, path: "/healthz", timeout: 4000 }, (res) => {
  res.resume();
  process.exitCode = res.statusCode === 200 ? 0 : 1;
});
req.on("timeout", () => req.destroy(new Error("timeout")));
req.on("error", (err) => {
  process.stderr.write(`healthcheck: ${err.message}\n`);
  process.exitCode = 1;
});
req.end();
