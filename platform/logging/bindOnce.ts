// bindOnce: a child logger that binds a field (e.g. partyId) once for itself and every descendant,
// so a line never carries the key twice when code below binds or logs the same value again.
import type { Bindings, ChildLoggerOptions, Logger } from 'pino';

/**
 * `log.child({ [key]: value })`, except that the same key with the same value, bound again by any
 * descendant's `child()` or passed in a log call's object, is dropped (pino would write it twice).
 */
export function bindOnce(log: Logger, key: string, value: string): Logger {
  const dropSame = (o: object): Record<string, unknown> => {
    const rest: Record<string, unknown> = { ...o };
    if (rest[key] === value) delete rest[key];
    return rest;
  };
  const bound = log.child({ [key]: value }, { formatters: { log: dropSame } });
  type ChildFn = (this: Logger, bindings: Bindings, options?: ChildLoggerOptions) => Logger;
  const protoChild = (Object.getPrototypeOf(bound) as { child: ChildFn }).child;
  // An own property of `bound` is inherited by every descendant (pino children are Object.create(parent)).
  Object.defineProperty(bound, 'child', {
    value: function child(this: Logger, bindings: Bindings, options?: ChildLoggerOptions) {
      return protoChild.call(this, dropSame(bindings), options);
    },
  });
  return bound;
}
