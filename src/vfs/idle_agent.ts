/**
 * Connection pools (`node:http` agents) whose connections fail once idle, for the clients that
 * speak through `node:http` and take an agent per request (Azure's SDK): the socket
 * inactivity timeout the AWS SDK's handler has as `socketTimeout`. A connection on which no
 * byte went either way for `ms` is destroyed with an `ETIMEDOUT` error, which the request on
 * it fails with (its answer's body included, part-way through); a kept-alive connection that
 * waits in the pool is closed. A slow transfer is not idle: every byte restarts the wait.
 *
 * @module
 */

import http from "node:http";
import https from "node:https";
import type { Duplex } from "node:stream";

/** The error an idle connection is destroyed with (`code` ETIMEDOUT, as Node's own). */
export function idleError(ms: number): Error {
  return Object.assign(
    new Error(
      `No byte went either way on the connection for ${
        ms / 1000
      } s (the idleTimeoutSeconds option)`,
    ),
    { code: "ETIMEDOUT" },
  );
}

/** Arms the idle watch on a new connection; `onIdle` hears of each one closed for it. */
function watch(socket: Duplex, ms: number, onIdle: () => void): void {
  // Node's agent only closes a pooled connection that times out, and a request only hears of it.
  socket.on("timeout", () => {
    onIdle();
    socket.destroy(idleError(ms));
  });
}

/** The two pools of one client: one for `http:` URLs, one for `https:` ones. */
export interface IdleAgents {
  /** The idle time, in ms. */
  readonly ms: number;
  /** The pool for a request to `url`. */
  for(url: string): http.Agent;
  /**
   * Connections closed for idleness so far: a client that hides the reason a body stream
   * ended (Azure's reports any lost connection as "aborted") can tell idleness by it.
   */
  readonly closedIdle: number;
  /** Closes every connection of both pools. */
  destroy(): void;
}

/** Pools whose connections fail after `ms` without a byte either way. */
export function idleAgents(ms: number): IdleAgents {
  let closedIdle = 0;
  const onIdle = () => void closedIdle++;
  // The agent's `timeout` keeps the wait set on a connection while it is pooled and reused.
  const options = { keepAlive: true, timeout: ms };
  const watched = <A extends http.Agent>(agent: A): A => {
    const create = agent.createConnection.bind(agent);
    agent.createConnection = (...args) => {
      const socket = create(...args);
      if (socket) watch(socket, ms, onIdle);
      return socket;
    };
    return agent;
  };
  let plain: http.Agent | undefined;
  let tls: https.Agent | undefined;
  return {
    ms,
    for(url) {
      return url.startsWith("https:")
        ? (tls ??= watched(new https.Agent(options)))
        : (plain ??= watched(new http.Agent(options)));
    },
    get closedIdle() {
      return closedIdle;
    },
    destroy() {
      plain?.destroy();
      tls?.destroy();
    },
  };
}
