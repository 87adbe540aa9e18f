/**
 * Set up before every test file. Under scripts/node-versions.mjs, THOTH_TEST_NODE names the node
 * the suite must run on: a worker on any other fails each of its files rather than passing them on
 * the wrong node (the thoth processes the tests spawn run on the worker's own node, process.execPath).
 */
const expected = process.env.THOTH_TEST_NODE;
if (expected && process.version !== expected) {
  throw new Error(
    `this test worker runs Node ${process.version}, not ${expected} (THOTH_TEST_NODE): the node first on PATH is not the one asked for`,
  );
}
