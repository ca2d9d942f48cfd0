// Schema migrations with umzug. Every table is created here; production code never calls sync().
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Umzug, SequelizeStorage } from 'umzug';
import { DataTypes, type QueryInterface, type Sequelize } from 'sequelize';
import { db } from './index.ts';

/** What a migration receives. */
export interface MigrationContext {
  qi: QueryInterface;
  sequelize: Sequelize;
  DataTypes: typeof DataTypes;
  /** LONGTEXT on MySQL/MariaDB (TEXT there stops at 64 KB); plain TEXT on SQLite, which has no sizes. */
  longText: DataTypes.TextDataType | DataTypes.TextDataTypeConstructor;
}

/** A migration module: `export const up: Migration = async ({ context }) => …`. */
export type Migration = (params: { context: MigrationContext }) => Promise<void>;

const here = path.dirname(fileURLToPath(import.meta.url));

function umzug(): Umzug<MigrationContext> {
  const sequelize = db();
  return new Umzug<MigrationContext>({
    migrations: {
      glob: ['migrations/*.ts', { cwd: here }],
      resolve: ({ name, path: file, context }) => ({
        name: name.replace(/\.ts$/, ''),
        up: async () => (await import(pathToFileURL(file!).href)).up({ context }),
        down: async () => (await import(pathToFileURL(file!).href)).down?.({ context }),
      }),
    },
    context: { qi: sequelize.getQueryInterface(), sequelize, DataTypes, longText: sequelize.getDialect() === 'mysql' ? DataTypes.TEXT('long') : DataTypes.TEXT },
    storage: new SequelizeStorage({ sequelize, tableName: 'schema_migrations' }),
    logger: undefined,
  });
}

/**
 * Runs fn while holding the start-up lock, so nodes starting together on one MariaDB/MySQL take turns at migrating
 * and seeding, and the later ones find the work done. SQLite has a single writer and runs fn as it is.
 */
export async function withStartupLock<T>(fn: () => Promise<T>): Promise<T> {
  const sequelize = db();
  if (sequelize.getDialect() !== 'mysql') return fn();
  // The lock belongs to a connection, so take and release it on one pinned connection; fn's own queries run on others.
  return sequelize.transaction(async (t) => {
    const [rows] = (await sequelize.query("SELECT GET_LOCK('govflow_migrate', 120) AS got", { transaction: t })) as [Array<{ got: number }>, unknown];
    if (Number(rows[0]?.got) !== 1) throw new Error('could not take the start-up lock (govflow_migrate) within 120 s');
    try {
      return await fn();
    } finally {
      await sequelize.query("SELECT RELEASE_LOCK('govflow_migrate')", { transaction: t });
    }
  });
}

/** Applies every pending migration, under the start-up lock; returns the names applied. */
export async function migrate(): Promise<string[]> {
  return withStartupLock(async () => (await umzug().up()).map((m) => m.name));
}

/** Names of migrations not applied yet. */
export async function pendingMigrations(): Promise<string[]> {
  return (await umzug().pending()).map((m) => m.name);
}
