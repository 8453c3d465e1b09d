/**
 * How a streaming request (`exec`/`attach`/`portforward` with `Upgrade: websocket`) passes through the
 * API app: the upgrade handler runs it through the app like any request (authentication, RBAC,
 * validation and errors as Status all stay in one place), with a slot in the app's env; the route
 * fills the slot with what to run once the connection is upgraded, and the handler upgrades it.
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

/** An `exec` to run over a channel WebSocket (with stdin and a tty only on nodes that speak command streams). */
export interface ExecStreamPlan {
  kind: 'exec';
  namespace: string;
  name: string;
  command: string[];
  container?: string;
  /** Which output channels the client asked for (`stdout=true`, `stderr=true`). */
  stdout: boolean;
  stderr: boolean;
  /** The client sends stdin (`stdin=true`, kubectl `-i`). */
  stdin: boolean;
  /** The command runs on a terminal (`tty=true`, kubectl `-t`). */
  tty: boolean;
  timeoutSeconds: number;
}

/**
 * An `attach`. Without stdin or a tty: the container's output from now on (its log, followed from
 * the end), until the client leaves or the pod goes. With either (kubectl `attach -i/-t`, only to a
 * container started with `stdin`/`tty`): an attach stream to its main process on the node.
 */
export interface AttachStreamPlan {
  kind: 'attach';
  namespace: string;
  name: string;
  container?: string;
  stdout: boolean;
  stderr: boolean;
  stdin: boolean;
  tty: boolean;
}

/**
 * A `portforward`: kubectl's port-forward protocol over SPDY/3.1, either on the upgraded connection
 * itself (`Upgrade: SPDY/3.1`) or tunnelled in a WebSocket (`SPDY/3.1+portforward.k8s.io`).
 */
export interface PortForwardStreamPlan {
  kind: 'portforward';
  namespace: string;
  name: string;
  uid: string;
  upgrade: 'spdy' | 'websocket';
}

/** What a streaming route asks the upgrade handler to run. */
export type StreamPlan = ExecStreamPlan | AttachStreamPlan | PortForwardStreamPlan;

/** The slot a streaming route fills; present only on requests that came in as an upgrade. */
export interface StreamSlot {
  plan?: StreamPlan;
  /** Frees the user's stream slot (stream-limits.ts); called once the upgraded connection closes. */
  release?: () => void;
}

/** The env the upgrade handler runs the app with (`incoming` as `@hono/node-server` sets it). */
export interface StreamUpgradeEnv {
  incoming: IncomingMessage;
  streamSlot: StreamSlot;
}

/** The request's stream slot, when it came in as an HTTP upgrade; undefined for ordinary requests. */
export function streamSlot(c: Context): StreamSlot | undefined {
  const env = c.env as Partial<StreamUpgradeEnv> | undefined;
  return env?.streamSlot;
}
