/**
 * A hook on the cipher or decipher ssh2 installs at every key exchange. ssh2 keeps them as the
 * plain fields `_cipher` and `_decipher` of its protocol object and replaces them when new keys
 * are taken into use; ./packet_pool.ts and ./gcm_decipher.ts change or replace each one.
 *
 * @module
 */

/**
 * Passes every value ssh2 puts in `field` of `proto` through `map` (the present one now, each
 * later one as it is set); reading the field gives what `map` answered. Answers false, and
 * changes nothing, where the field is not a plain writable property (ssh2 not as expected).
 */
export function onEachKey(
  proto: object,
  field: "_cipher" | "_decipher",
  map: (value: unknown) => unknown,
): boolean {
  const own = Object.getOwnPropertyDescriptor(proto, field);
  if (!own || own.writable !== true || own.configurable !== true) return false;
  let current = map(own.value);
  Object.defineProperty(proto, field, {
    configurable: true,
    enumerable: true,
    get: () => current,
    set: (value: unknown) => void (current = map(value)),
  });
  return true;
}
