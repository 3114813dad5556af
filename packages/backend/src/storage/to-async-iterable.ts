/**
 * Adapts a synchronous generator to the `AsyncIterable` the `Persistence` reader returns, without
 * the cost of an async generator per step.
 */
import { toPersistenceError } from "./persistence-error.js";

/**
 * An `AsyncIterable` whose every iteration starts `start()` afresh and steps it one `next()` per
 * promise; errors (including those thrown by `start`) reject as persistence errors of `operation`.
 */
export function toAsyncIterable<T>(
  operation: string,
  start: () => Iterator<T>,
): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => {
      let iterator: Iterator<T> | null = null;
      const step = (
        fn: (it: Iterator<T>) => IteratorResult<T>,
      ): Promise<IteratorResult<T>> => {
        try {
          iterator ??= start();
          return Promise.resolve(fn(iterator));
        } catch (e) {
          return Promise.reject(toPersistenceError(operation, e));
        }
      };
      return {
        next: () => step((it) => it.next()),
        return: (value?: unknown) =>
          step((it) => it.return?.(value) ?? { done: true, value: value as T }),
      };
    },
  };
}
