/**
 * Kubernetes' remote-command WebSocket sub-protocol (`v5.channel.k8s.io`, `v4.channel.k8s.io`), as
 * kubectl ≥ 1.30 speaks it for `exec` and `attach`: every binary message is one channel byte followed
 * by that channel's data. Channels: 0 stdin, 1 stdout, 2 stderr, 3 error (one metav1 Status, then the
 * connection closes), 4 resize (`{"Width":w,"Height":h}`), and in v5 only 255 close (its data byte
 * names the channel the peer will not write again, e.g. stdin at EOF).
 */

/** Sub-protocols served, most preferred first (kubectl 1.32 offers only v5; v4 is v5 without close). */
export const CHANNEL_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
export type ChannelProtocol = (typeof CHANNEL_PROTOCOLS)[number];

/** The channel numbers of the remote-command protocol. */
export const Channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/**
 * The protocol to answer with, from the `Sec-WebSocket-Protocol` values the client offered (a
 * comma-separated list, possibly over several headers); undefined when none is served.
 */
export function chooseProtocol(offered: readonly string[]): ChannelProtocol | undefined {
  const names = new Set(offered.flatMap((h) => h.split(',')).map((p) => p.trim()));
  return CHANNEL_PROTOCOLS.find((p) => names.has(p));
}

/** One outgoing message: the channel byte, then the data. */
export function encodeFrame(channel: number, data: Uint8Array | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = channel;
  out.set(body, 1);
  return out;
}

/** An incoming message split into its channel and data; undefined for an empty message. */
export function decodeFrame(msg: Buffer): { channel: number; data: Buffer } | undefined {
  if (msg.length === 0) return undefined;
  return { channel: msg[0] ?? 0, data: msg.subarray(1) };
}

/** The channel a v5 close message names; undefined when the message is not a well-formed close. */
export function closedChannel(frame: { channel: number; data: Buffer }): number | undefined {
  return frame.channel === Channel.close && frame.data.length === 1 ? frame.data[0] : undefined;
}

/** A terminal size from a resize message; undefined when malformed (ignored, as the kubelet does). */
export function parseResize(data: Buffer): { width: number; height: number } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const { Width: width, Height: height } = v as { Width?: unknown; Height?: unknown };
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffff;
  return ok(width) && ok(height) ? { width, height } : undefined;
}

/** The metav1 Status sent on the error channel when a command ends. */
export interface ExecEndStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: { reason: string; message: string }[] };
}

/**
 * How a command ended, as the kubelet reports it: `Success` for exit code 0; a non-zero code as
 * `NonZeroExitCode` with an `ExitCode` cause (client-go turns that into the exit code kubectl exits
 * with); a command that could not be run as a plain `Failure` whose message kubectl prints.
 */
export function endStatus(end: { exitCode: number } | { error: string }): ExecEndStatus {
  if ('error' in end) return { metadata: {}, status: 'Failure', message: end.error, reason: 'InternalError' };
  if (end.exitCode === 0) return { metadata: {}, status: 'Success' };
  // client-go reads the cause as a uint8: a code outside 1..255 (a runtime's -1 for "killed") is sent as 255.
  const code = Number.isInteger(end.exitCode) && end.exitCode > 0 && end.exitCode <= 255 ? end.exitCode : 255;
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: exit code ${end.exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}
