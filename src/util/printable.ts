/**
 * A user-chosen name (persona, location, step) made safe for a terminal or a Markdown table: control
 * characters — ESC of an ANSI sequence, CR, BEL, C1 controls — shown as \xNN instead of acting.
 */
export function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
