import { InvalidArgumentError } from 'commander';

/** Commander argument parsers that say which flag was wrong and what it accepts. */
export const integerIn =
  (min: number, max: number) =>
  (value: string): number => {
    const n = Number(value);
    if (!/^-?[0-9]+$/.test(value.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}, got '${value}'`);
    }
    return n;
  };

export const positiveNumber = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`expected a positive number, got '${value}'`);
  return n;
};

export const nonNegativeNumber = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number ≥ 0, got '${value}'`);
  return n;
};

/** A "3600x" or "10" speed factor. */
export const speedFactor = (value: string): number => positiveNumber(value.replace(/x$/i, ''));

export const oneOf =
  <T extends string>(choices: readonly T[]) =>
  (value: string): T => {
    if (!choices.includes(value as T))
      throw new InvalidArgumentError(`expected one of ${choices.join(', ')}, got '${value}'`);
    return value as T;
  };
