// Preloaded with `node --import`: JSON.stringify throws a TypeError for an object that has the key
// $THOTH_FAULT_KEY, as a failure thoth's own code does not expect would look.
const stringify = JSON.stringify;
JSON.stringify = function faultyStringify(value, ...rest) {
  const key = process.env.THOTH_FAULT_KEY;
  if (key && value !== null && typeof value === 'object' && Object.hasOwn(value, key)) throw new TypeError(`injected fault at ${key}`);
  return stringify.call(this, value, ...rest);
};
