// Navigation by role. Each domain plugin registers its own entries at start-up.
import type { Role } from '../auth/models.ts';
import type { Viewer } from '../access/index.ts';

/** One navigation entry: a link and the roles that see it (empty: every logged-in user). */
export interface NavItem {
  href: string;
  /** Catalog key of the label. */
  label: string;
  roles: Role[];
  /** Lower comes first. */
  order: number;
}

const items: NavItem[] = [];

/** Adds a navigation entry (idempotent by href). */
export function registerNav(item: NavItem): void {
  if (!items.some((i) => i.href === item.href)) items.push(item);
  items.sort((a, b) => a.order - b.order);
}

/** The entries a viewer sees. */
export function navFor(viewer: Viewer | null): NavItem[] {
  if (!viewer) return [];
  const roles = new Set(viewer.roles.map((r) => r.role));
  return items.filter((i) => i.roles.length === 0 || i.roles.some((r) => roles.has(r)));
}
