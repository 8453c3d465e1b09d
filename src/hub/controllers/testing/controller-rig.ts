/**
 * A controller under test over a real registry on a temporary SQLite store (`registry/testing`), with the
 * informers it reads and an injected clock the test moves: the set-up and tear-down the HPA and canary
 * rigs share. The rig builds the controller; each test gets a fresh one.
 */
import { afterEach, beforeEach } from 'vitest';
import type { Clock, Logger } from '../../../api/index.js';
import { silentLogger } from '../../../platform/index.js';
import { InformerFactory } from '../../informers/index.js';
import type { ObjectRegistry } from '../../registry/index.js';
import { openTempRegistry, type TempRegistry } from '../../registry/testing/temp-registry.js';

/** What a rig's controller is built from. */
export interface ControllerEnv {
  api: ObjectRegistry;
  informers: InformerFactory;
  clock: Clock;
  logger: Logger;
}

/** A controller: started once the informers are, stopped before they are. */
export interface RigController {
  start(): void;
  stop(): Promise<unknown>;
}

/** Options of `controllerRig`. */
export interface ControllerRigOptions<C extends RigController> {
  /** The prefix of the temporary directory's name. */
  prefix: string;
  /** The clock's time at the start of every test (RFC 3339). */
  start: string;
  /** Builds the controller (and whatever the rig gives it besides) for one test. */
  build: (env: ControllerEnv) => C;
}

/** The current test's registry, informers and controller, and its clock. */
export interface ControllerRig<C extends RigController> {
  readonly api: ObjectRegistry;
  readonly informers: InformerFactory;
  readonly ctrl: C;
  /** The injected clock's time. */
  now(): number;
  /** Moves the clock on by `ms`. */
  tick(ms: number): void;
}

/**
 * Registers the set-up and tear-down (inside a `describe`): before each test a registry on SQLite with the
 * clock back at `start` and the `default` namespace, informers over it and a started controller; after
 * it, the controller, the informers and the store stopped and the directory removed.
 */
export function controllerRig<C extends RigController>(opts: ControllerRigOptions<C>): ControllerRig<C> {
  const start = Date.parse(opts.start);
  let now = start;
  const clock = { now: () => now };
  let temp: TempRegistry;
  let informers: InformerFactory;
  let ctrl: C;

  beforeEach(async () => {
    now = start;
    const logger = silentLogger();
    temp = await openTempRegistry({ prefix: opts.prefix, clock });
    informers = new InformerFactory(temp.registry, logger);
    ctrl = opts.build({ api: temp.registry, informers, clock, logger });
    await informers.start();
    ctrl.start();
  });

  afterEach(async () => {
    await ctrl.stop();
    informers.stop();
    await temp.close();
  });

  return {
    get api(): ObjectRegistry {
      return temp.registry;
    },
    get informers(): InformerFactory {
      return informers;
    },
    get ctrl(): C {
      return ctrl;
    },
    now: () => now,
    tick: (ms) => {
      now += ms;
    },
  };
}
