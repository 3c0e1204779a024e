// What a failing call threw, for tests that assert on the error itself.

type ErrorClass<E> = abstract new (...args: never[]) => E;

/** The error `p` rejects with; fails when it resolves or rejects with anything but a `cls`. */
export async function rejectionOf<E>(p: Promise<unknown>, cls: ErrorClass<E>): Promise<E> {
  try {
    await p;
  } catch (err) {
    if (err instanceof cls) return err;
    throw err;
  }
  throw new Error(`expected a ${cls.name}, but it succeeded`);
}

/** The error `fn` throws; fails when it returns or throws anything but a `cls`. */
export function thrownBy<E>(fn: () => unknown, cls: ErrorClass<E>): E {
  try {
    fn();
  } catch (err) {
    if (err instanceof cls) return err;
    throw err;
  }
  throw new Error(`expected a ${cls.name}, but it returned`);
}
