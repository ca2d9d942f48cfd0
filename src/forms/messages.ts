// Turns engine issues into sentences with a catalog lookup (the server's t() or the page's catalog).
import type { Issue } from './engine.ts';

/** Fills `{name}` placeholders. */
export function fill(template: string, params: Record<string, unknown>): string {
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/** The sentence of an issue. */
export function issueText(issue: Issue, lookup: (key: string) => string): string {
  return fill(lookup(issue.code), issue.params);
}
