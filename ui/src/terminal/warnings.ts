/**
 * The API server's warnings in a tab (a debug container, a pod copy or a node's pod that Pod
 * Security in warn mode would refuse; an admission webhook): written under the session's marker
 * as kubectl prints them on a terminal.
 */

/** The most warnings one session's tab keeps before it can write them (the backend sends 33 at most). */
export const MAX_WARNINGS = 64;

/**
 * A warning's line: `Warning:` in kubectl's bold yellow, then the text, which the engine has
 * escaped (no control character left but line breaks, made the terminal's here).
 */
export function warningLine(text: string): string {
  const shown = text.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "").replace(/\r?\n/g, "\r\n");
  return `\x1b[33;1mWarning:\x1b[0m ${shown}\r\n`;
}
