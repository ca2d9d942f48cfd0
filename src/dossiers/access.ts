// Who may see a dossier, in one place for every part of the dossiers domain (citizen, handling, tracking).
import { canAccessOrg, type Viewer } from '../access/index.ts';
import { NotFound } from '../errors.ts';
import type { Dossier } from './models.ts';

/** Whether the viewer may see the dossier: its owner, or staff whose roles cover its receiving unit. */
export function canSee(viewer: Viewer | null | undefined, dossier: Pick<Dossier, 'ownerUserId' | 'orgPath'>): boolean {
  if (!viewer) return false;
  if (dossier.ownerUserId !== null && dossier.ownerUserId === viewer.userId) return true;
  return canAccessOrg(viewer, dossier.orgPath);
}

/** Whether the viewer owns the dossier (the citizen who files it). */
export function isOwner(viewer: Viewer | null | undefined, dossier: Pick<Dossier, 'ownerUserId'>): boolean {
  return !!viewer && dossier.ownerUserId !== null && dossier.ownerUserId === viewer.userId;
}

/** Throws 404 (never 403: a dossier's existence is not leaked) unless the viewer may see the dossier. */
export function assertCanSee(viewer: Viewer | null | undefined, dossier: Pick<Dossier, 'ownerUserId' | 'orgPath'> | null | undefined): asserts dossier {
  if (!dossier || !canSee(viewer, dossier)) throw NotFound('errors.notFound');
}
