// The catalog's version row: every change bumps it in its own transaction, and each node compares it with the
// version its search index was built from, so a node never answers from a catalog another node has changed.
import type { Transaction } from 'sequelize';
import { CatalogState } from './models.ts';

/** Raises the catalog version inside the transaction of the change. */
export async function bumpCatalogVersion(t: Transaction): Promise<void> {
  await CatalogState.increment('version', { by: 1, where: { id: 1 }, transaction: t });
}

/** The catalog version now (one primary-key read). */
export async function catalogVersion(): Promise<number> {
  const row = await CatalogState.findByPk(1, { attributes: ['version'], raw: true });
  return Number((row as { version?: number } | null)?.version ?? 0);
}
