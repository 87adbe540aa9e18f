/**
 * Text from messages, files and the command line shown on a terminal: every
 * control character (C0 but tab and newline, DEL, C1, and the bidirectional
 * overrides that reorder what a reader sees) is written visibly as an escape
 * (`\x1b`, `\u202e`), so that no value can clear the screen, set the window
 * title, move the cursor or forge a line. Machine output (-o json, ndjson)
 * is never passed through here: JSON has its own escapes.
 */

// C0 except \t and \n, DEL, C1, and the bidi controls (LRE..RLO, LRI..PDI).
// eslint-disable-next-line no-control-regex -- control characters are what this finds
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// The same, newline included: for one-line fields (a key, a header, a table cell).
// eslint-disable-next-line no-control-regex -- as above
const UNSAFE_IN_LINE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function escape(char: string): string {
  const code = char.charCodeAt(0);
  if (code === 0x0a) return '\\n';
  if (code === 0x0d) return '\\r';
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** The text with its control characters shown as escapes; newlines and tabs are kept. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, escape);
}

/** The text on one line: newlines too are shown as `\n`. */
export function terminalSafeLine(text: string): string {
  return text.replace(UNSAFE_IN_LINE, escape);
}
