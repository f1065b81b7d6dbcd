/** Time as the drill sees it: milliseconds since the epoch, and a way to wait. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

/**
 * A clock that runs `speed` times faster than real time, so the emulation's 10 s health-check
 * interval takes 0.1 s at 100x. Every party of an emulated run (checkers, Aurora, the drill)
 * shares one instance; real I/O still takes real time, which this clock multiplies too.
 */
export function fastClock(speed: number, start = Date.now()): Clock {
  if (!(speed >= 1)) throw new Error(`clock speed must be at least 1, not ${speed}`);
  const realStart = performance.now();
  return {
    now: () => start + Math.round((performance.now() - realStart) * speed),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms / speed))),
  };
}
