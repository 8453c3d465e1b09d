/**
 * Proxy flood benchmark (prints figures; not a test): issue 11's "memory of an agent under a flood of
 * slow or large requests stays bounded". A real hub and one real edge-node process serving the
 * hello-c Wasm component on a NodePort (a Wasm workload: its request bodies are held whole, within
 * the node's body budget — the worst case for memory), flooded on loopback with:
 *   (a) many concurrent large uploads (at the body maximum, and past it);
 *   (b) many slow-drip connections: chunked bodies sent a few bytes at a time (they hold request
 *       slots), and headers sent a line at a time (slowloris: cut off by the headers timeout);
 *   (c) many quick requests while (b) holds the listener at its cap, then again once it let go.
 * Prints the agent's idle RSS, its peak RSS (VmHWM from /proc/<pid>/status) after each phase, and the
 * answers' status counts.
 *
 * Run: npm run build && npm run build:examples && npx tsx bench/proxy-flood.ts
 *      [--uploads 32] [--upload-mib 16] [--drips 300] [--loris 200] [--quick 500] [--cap 256] [--drip-seconds 30]
 */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { Cluster, WASM, applyAndWait, arg, deployment, runBench, until } from './wasm-support.js';

const UPLOADS = arg('uploads', 32);
const UPLOAD_MIB = arg('upload-mib', 16);
const DRIPS = arg('drips', 300);
const LORIS = arg('loris', 200);
const QUICK = arg('quick', 500);
const CAP = arg('cap', 256);
const DRIP_SECONDS = arg('drip-seconds', 30);
const NODE = { name: 'flood-1', address: '127.0.36.2' };
const PORT = 30186;
const MiB = 1024 * 1024;

/** VmRSS and VmHWM (peak) of a process, in MiB. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** Status counts, `0` for a connection that ended without an answer. */
class Counts {
  readonly by = new Map<number, number>();
  /** The first answer's text per status (what the node said). */
  readonly sample = new Map<number, string>();
  add(status: number, text?: string): void {
    this.by.set(status, (this.by.get(status) ?? 0) + 1);
    if (text && !this.sample.has(status)) this.sample.set(status, text.trim().slice(0, 100));
  }
  toString(): string {
    return [...this.by]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s === 0 ? 'no answer' : s}: ${n}`)
      .join(', ');
  }
  samples(): string {
    return [...this.sample].map(([s, t]) => `      ${s}: "${t}"`).join('\n');
  }
}

/** POSTs `bytes` (Content-Length declared) in 1 MiB writes; resolves with the status (0: none) and text. */
function upload(bytes: number): Promise<[number, string]> {
  const chunk = Buffer.alloc(MiB, 0x61);
  return new Promise((resolve) => {
    const req = request(
      {
        host: NODE.address,
        port: PORT,
        method: 'POST',
        path: '/',
        agent: false,
        headers: { 'content-length': String(bytes) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve([res.statusCode ?? 0, text]));
        res.on('error', () => resolve([res.statusCode ?? 0, text]));
      },
    );
    req.on('error', () => resolve([0, '']));
    let sent = 0;
    const pump = (): void => {
      while (sent < bytes && !req.destroyed) {
        const n = Math.min(MiB, bytes - sent);
        sent += n;
        if (!req.write(n === MiB ? chunk : chunk.subarray(0, n))) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

/** Reads the first status line off a raw socket; `onStatus` once (0 when it closes without one). */
function rawStatus(s: Socket, onStatus: (status: number) => void): void {
  let data = '';
  let done = false;
  const finish = (status: number): void => {
    if (done) return;
    done = true;
    onStatus(status);
  };
  s.on('data', (d: Buffer) => {
    data += d.toString('latin1');
    const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
    if (m) finish(Number(m[1]));
  });
  s.on('close', () => finish(0));
  s.on('error', () => undefined);
}

/** A chunked POST dripping 100 bytes every 200 ms until `stop` — then its last chunk. */
function drip(counts: Counts, stop: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(PORT, NODE.address);
    rawStatus(s, (status) => {
      counts.add(status);
      clearInterval(timer);
      s.destroy();
      resolve();
    });
    s.write(`POST / HTTP/1.1\r\nhost: flood\r\ntransfer-encoding: chunked\r\n\r\n`);
    const timer = setInterval(() => s.writable && s.write(`64\r\n${'d'.repeat(100)}\r\n`), 200);
    void stop.then(() => {
      clearInterval(timer);
      if (s.writable) s.write('0\r\n\r\n');
    });
  });
}

/** Slowloris: a header line every second, never the end of the headers. */
function loris(counts: Counts, stop: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(PORT, NODE.address);
    const timer = setInterval(
      () => s.writable && s.write(`x-slow-${Math.random().toString(36).slice(2, 8)}: 1\r\n`),
      1000,
    );
    rawStatus(s, (status) => {
      counts.add(status);
      clearInterval(timer);
      s.destroy();
      resolve();
    });
    s.write('GET / HTTP/1.1\r\nhost: flood\r\n');
    void stop.then(() => s.destroy());
  });
}

/** One quick GET; resolves with its status (0: no answer) and text. */
function quick(): Promise<[number, string]> {
  return new Promise((resolve) => {
    const req = request({ host: NODE.address, port: PORT, path: '/', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve([res.statusCode ?? 0, text]));
    });
    req.on('error', () => resolve([0, '']));
    req.end();
  });
}

async function main(): Promise<void> {
  console.log(
    `edgeplane proxy flood — node ${process.version}; 1 node, hello-c (Wasm) on NodePort ${PORT}; ` +
      `--max-concurrent-requests ${CAP}, --max-request-body-bytes ${UPLOAD_MIB}Mi`,
  );
  const cluster = new Cluster(
    [],
    ['--max-concurrent-requests', String(CAP), '--max-request-body-bytes', `${UPLOAD_MIB}Mi`],
  );
  try {
    await cluster.start([NODE]);
    await applyAndWait(cluster, deployment('flood', WASM.helloC, 2, PORT), 'flood', 2);
    await until('the NodePort answering', async () => (await quick())[0] === 200, 30_000, 200);
    for (let i = 0; i < 200; i++) await quick(); // warm-up
    const pid = cluster.nodes.get(NODE.name)!.proc.child.pid!;
    const idle = memory(pid);
    console.log(`idle:               RSS ${idle.rss.toFixed(1)} MiB, peak so far ${idle.peak.toFixed(1)} MiB`);

    // (a) large uploads: at the maximum (held whole for the Wasm guest, within the body budget) and past it.
    const a = new Counts();
    let started = performance.now();
    const statuses = await Promise.all([
      ...Array.from({ length: UPLOADS }, () => upload(UPLOAD_MIB * MiB)),
      ...Array.from({ length: UPLOADS / 2 }, () => upload(2 * UPLOAD_MIB * MiB)),
    ]);
    for (const [s, t] of statuses) a.add(s, t);
    let m = memory(pid);
    console.log(
      `(a) ${UPLOADS} uploads of ${UPLOAD_MIB} MiB + ${UPLOADS / 2} of ${2 * UPLOAD_MIB} MiB at once (${((performance.now() - started) / 1000).toFixed(1)} s): ${a.toString()}`,
    );
    console.log(a.samples());
    console.log(
      `    agent RSS ${m.rss.toFixed(1)} MiB, peak ${m.peak.toFixed(1)} MiB (${(m.peak - idle.rss).toFixed(1)} MiB over idle; ${UPLOADS * UPLOAD_MIB + UPLOADS * UPLOAD_MIB} MiB offered)`,
    );

    // (b) slow drips holding the listener's slots, and slowloris connections; (c) quick requests meanwhile.
    const dripCounts = new Counts();
    const lorisCounts = new Counts();
    let release = (): void => undefined;
    const stop = new Promise<void>((r) => (release = r));
    started = performance.now();
    const drips = Array.from({ length: DRIPS }, () => drip(dripCounts, stop));
    const lorises = Array.from({ length: LORIS }, () => loris(lorisCounts, stop));
    await new Promise((r) => setTimeout(r, 3000)); // the drips are all in (or refused)
    const during = new Counts();
    for (const [s, t] of await Promise.all(Array.from({ length: QUICK }, () => quick()))) during.add(s, t);
    await new Promise((r) => setTimeout(r, Math.max(0, DRIP_SECONDS * 1000 - (performance.now() - started))));
    m = memory(pid);
    const lorisClosed = [...lorisCounts.by.values()].reduce((x, y) => x + y, 0);
    release();
    await Promise.all([...drips, ...lorises]);
    console.log(
      `(b) ${DRIPS} chunked bodies dripping 100 B / 200 ms for ${DRIP_SECONDS} s: ${dripCounts.toString()} (refused at once past the cap; the rest answered once their body ended)`,
    );
    console.log(
      `    ${LORIS} slowloris connections (a header line a second): ${lorisClosed} closed by the agent within ${DRIP_SECONDS} s (${lorisCounts.toString()})`,
    );
    console.log(`(c) ${QUICK} quick GETs while the drips held the cap: ${during.toString()}`);
    console.log(during.samples());
    const after = new Counts();
    for (const [s, t] of await Promise.all(Array.from({ length: QUICK }, () => quick()))) after.add(s, t);
    console.log(`    ${QUICK} quick GETs once the drips ended: ${after.toString()}`);
    console.log(after.samples());
    console.log(`    agent RSS ${m.rss.toFixed(1)} MiB during the drips, peak ${m.peak.toFixed(1)} MiB`);
    const end = memory(pid);
    console.log(
      `end:                RSS ${end.rss.toFixed(1)} MiB, peak ${end.peak.toFixed(1)} MiB (idle ${idle.rss.toFixed(1)} MiB)`,
    );
  } finally {
    await cluster.stop();
  }
}

runBench(main);
